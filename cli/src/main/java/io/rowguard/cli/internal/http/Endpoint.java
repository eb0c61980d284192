package io.rowguard.cli.internal.http;

import io.rowguard.cli.internal.Times;
import io.rowguard.core.InputException;
import io.rowguard.core.ValueFormat;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A read endpoint of the API: a {@code rowguard} command with {@code --json}, its query parameters
 * the command's options of the same names. Only the options listed are taken; an option that writes
 * ({@code --apply}) is never one of them.
 *
 * @param path the request path
 * @param command the command it runs
 * @param fixed options always given ({@code --json})
 * @param values options that take a value, once
 * @param repeated options that take a value, any number of times
 * @param flags options without a value ({@code ?cascade=true})
 * @param times options whose relative time ({@code 2h}) is made absolute when the request comes, so
 *     a plan shown is the plan applied
 */
public record Endpoint(
    String path,
    String command,
    List<String> fixed,
    Set<String> values,
    Set<String> repeated,
    Set<String> flags,
    Set<String> times) {

  /** Every read endpoint, by path. */
  public static final Map<String, Endpoint> READS = reads();

  private static Map<String, Endpoint> reads() {
    Map<String, Endpoint> m = new LinkedHashMap<>();
    add(m, "/api/status", "status", Set.of(), Set.of(), Set.of());
    add(m, "/api/history", "history", Set.of("table", "key"), Set.of(), Set.of());
    Set<String> auditValues = Set.of("table", "actor", "tx", "since", "until", "limit", "before");
    add(m, "/api/audit", "audit", auditValues, Set.of(), Set.of("unattributed"));
    add(m, "/api/transaction", "audit", Set.of("tx", "limit", "before"), Set.of(), Set.of());
    add(
        m,
        "/api/incidents",
        "incidents",
        Set.of("since", "until", "baseline", "limit"),
        Set.of(),
        Set.of());
    add(
        m,
        "/api/blast-radius",
        "blast-radius",
        Set.of("tx", "limit"),
        Set.of(),
        Set.of("later-only"));
    m.put(
        "/api/plan/rollback",
        new Endpoint(
            "/api/plan/rollback",
            "rollback",
            List.of("--json"),
            Set.of("table", "to", "before-tx", "wait", "on-conflict"),
            Set.of("key"),
            Set.of("allow-stale"),
            Set.of("to")));
    m.put(
        "/api/plan/backout",
        new Endpoint(
            "/api/plan/backout",
            "backout",
            List.of("--json"),
            Set.of("actor", "since", "until", "granularity", "wait", "on-conflict"),
            Set.of("tx", "table"),
            Set.of("unattributed", "cascade", "allow-stale"),
            Set.of("since", "until")));
    return Map.copyOf(m);
  }

  private static void add(
      Map<String, Endpoint> m,
      String path,
      String command,
      Set<String> values,
      Set<String> repeated,
      Set<String> flags) {
    m.put(path, new Endpoint(path, command, List.of("--json"), values, repeated, flags, Set.of()));
  }

  public boolean plans() {
    return path.startsWith("/api/plan/");
  }

  /** The command's options for a query string ({@code null}: none), or bad input. */
  public List<String> args(String query, Clock clock) {
    List<String> args = new ArrayList<>(fixed);
    Set<String> seen = new TreeSet<>();
    for (Map.Entry<String, String> p : parse(query)) {
      String name = p.getKey();
      String value = p.getValue();
      if (name.equals("format") && command.equals("audit")) {
        switch (value.toLowerCase(java.util.Locale.ROOT)) {
          case "json" -> {}
          case "csv" -> args.set(args.indexOf("--json"), "--csv");
          default -> throw new InputException("format=" + value + ": use json or csv");
        }
      } else if (flags.contains(name)) {
        if (value.isEmpty() || value.equalsIgnoreCase("true")) {
          args.add("--" + name);
        } else if (!value.equalsIgnoreCase("false")) {
          throw new InputException(name + "=" + value + ": use true or false");
        }
      } else if (values.contains(name) || repeated.contains(name)) {
        if (!seen.add(name) && !repeated.contains(name)) {
          throw new InputException(name + " is given twice: give it once");
        }
        if (times.contains(name) && !value.isBlank()) {
          value = ValueFormat.instant(Times.parseMicros(value, name, clock));
        }
        // one argument, option and value together: a value is never read as another option
        args.add("--" + name + "=" + value);
      } else {
        Set<String> known = new TreeSet<>(values);
        known.addAll(repeated);
        known.addAll(flags);
        throw new InputException(
            "unknown parameter '"
                + name
                + "' for "
                + path
                + (known.isEmpty()
                    ? " (it takes none)"
                    : " (it takes " + String.join(", ", known) + ")"));
      }
    }
    return args;
  }

  /** A query string's parameters in order, decoded. */
  static List<Map.Entry<String, String>> parse(String query) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    if (query == null || query.isEmpty()) {
      return out;
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : pair.substring(eq + 1);
      try {
        out.add(
            Map.entry(
                URLDecoder.decode(name, StandardCharsets.UTF_8),
                URLDecoder.decode(value, StandardCharsets.UTF_8)));
      } catch (IllegalArgumentException e) {
        throw new InputException("bad query parameter '" + pair + "': " + e.getMessage());
      }
    }
    return out;
  }
}
