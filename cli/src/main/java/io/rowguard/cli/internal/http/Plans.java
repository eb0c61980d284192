package io.rowguard.cli.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plans the API has shown, by id, so that an apply names what its operator saw: the command
 * that made it, its content's digest and its rows. The most recent {@value #KEPT} are kept for
 * {@link #TTL}; applying an older one means planning it again.
 */
public final class Plans {
  static final int KEPT = 200;
  static final Duration TTL = Duration.ofHours(1);

  /** One plan as shown. */
  public record Shown(
      String id, String command, List<String> args, String digest, JsonNode doc, Instant at) {
    public int rows() {
      return doc.path("rows").size();
    }
  }

  private final Clock clock;
  private final Map<String, Shown> shown =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Shown> eldest) {
          return size() > KEPT;
        }
      };

  public Plans(Clock clock) {
    this.clock = clock;
  }

  /** Keeps a plan the API is about to show; returns it. */
  public synchronized Shown remember(String command, List<String> args, String json, JsonNode doc) {
    Shown s =
        new Shown(
            doc.path("plan").asText(),
            command,
            List.copyOf(args),
            io.rowguard.cli.internal.PlanView.digest(json),
            doc,
            clock.instant());
    shown.put(s.id(), s);
    return s;
  }

  public synchronized Optional<Shown> find(String id) {
    Shown s = shown.get(id);
    if (s == null || s.at().plus(TTL).isBefore(clock.instant())) {
      shown.remove(id);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  /**
   * How a plan made again differs from the one shown, row by row: rows only in the new one, rows
   * only in the old one, and rows in both whose current or target state changed; then the rest of
   * the document (what it undoes, warnings) when that differs.
   */
  public static ObjectNode difference(JsonNode was, JsonNode now) {
    Map<String, JsonNode> before = byRow(was);
    Map<String, JsonNode> after = byRow(now);
    ObjectNode d = Json.NODES.objectNode();
    ArrayNode added = d.putArray("added");
    ArrayNode removed = d.putArray("removed");
    ArrayNode changed = d.putArray("changed");
    after.forEach(
        (k, row) -> {
          JsonNode old = before.get(k);
          if (old == null) {
            added.add(row);
          } else if (!old.equals(row)) {
            changed.add(Json.NODES.objectNode().<ObjectNode>set("was", old).set("now", row));
          }
        });
    before.forEach(
        (k, row) -> {
          if (!after.containsKey(k)) {
            removed.add(row);
          }
        });
    for (String field : List.of("summary", "undoes", "warnings", "dependents")) {
      if (!was.path(field).equals(now.path(field))) {
        d.set(
            field,
            Json.NODES
                .objectNode()
                .<ObjectNode>set("was", was.path(field))
                .set("now", now.path(field)));
      }
    }
    return d;
  }

  private static Map<String, JsonNode> byRow(JsonNode plan) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    for (JsonNode row : plan.path("rows")) {
      m.put(row.path("table").asText() + "\u0000" + row.path("key"), row);
    }
    return m;
  }
}
