package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.Undo;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.JournalEntry;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Shows a row's versions: as a table for people, as one JSON document for programs. */
public final class HistoryView {
  private static final int MAX_VALUE = 60;

  private HistoryView() {}

  public static void printText(
      PrintWriter out,
      TableId table,
      RowKey key,
      List<JournalEntry> h,
      Function<JournalEntry, Attribution> attribution) {
    out.println(
        "history of "
            + table
            + " key "
            + key
            + ": "
            + h.size()
            + (h.size() == 1 ? " version" : " versions"));
    TextTable t = new TextTable("SEQ", "COMMITTED (UTC)", "TX", "BY", "OP", "CHANGES");
    for (JournalEntry e : h) {
      ChangeEvent c = e.event();
      Attribution a = attribution.apply(e);
      t.add(
          Long.toString(e.seq()),
          ValueFormat.instant(c.commitMicros()),
          c.txId(),
          actor(a),
          opName(c),
          marker(a) + describe(c));
    }
    t.print(out);
  }

  public static ObjectNode json(
      TableId table,
      RowKey key,
      List<JournalEntry> h,
      Function<JournalEntry, Attribution> attribution) {
    ObjectNode doc = Json.NODES.objectNode();
    doc.put("table", table.toString());
    doc.set("key", Json.key(key));
    ArrayNode versions = doc.putArray("versions");
    for (JournalEntry e : h) {
      ChangeEvent c = e.event();
      ObjectNode v = versions.addObject();
      v.put("seq", e.seq());
      v.put("committed", ValueFormat.instant(c.commitMicros()));
      v.put("tx", c.txId());
      v.put("position", c.position());
      v.put("op", opName(c));
      attributionJson(v, attribution.apply(e));
      v.set("before", Json.row(c.before()));
      v.set("after", Json.row(c.after()));
      ArrayNode changed = v.putArray("changed");
      c.changedColumns().forEach(changed::add);
    }
    return doc;
  }

  /** Who, where that comes from, and what the transaction's message said. */
  public static void attributionJson(ObjectNode v, Attribution a) {
    v.put("actor", a.actor());
    v.put("actorSource", a.isAttributed() ? a.source().label() : null);
    TransactionTag tag = a.tag();
    if (tag != null) {
      if (tag.reason() != null) {
        v.put("reason", tag.reason());
      }
      if (tag.request() != null) {
        v.put("request", tag.request());
      }
      if (tag.rollback() != null) {
        v.put("rollback", tag.rollback());
      }
    }
    Undo u = a.undoneBy();
    if (u != null) {
      ObjectNode b = v.putObject("backedOutBy");
      b.put("tx", u.txId());
      b.put(
          "committed",
          u.commitMicros() == Long.MIN_VALUE ? null : ValueFormat.instant(u.commitMicros()));
      b.put("by", u.operator());
      b.put("plan", u.plan());
    }
  }

  /** The actor, or "unattributed": nobody is guessed. */
  public static String actor(Attribution a) {
    return a.isAttributed() ? a.actor() : "unattributed";
  }

  /** "[rollback by alice: bad deploy] " for rowguard's own writes, "[reason] " for tagged ones. */
  static String marker(Attribution a) {
    String undone = a.undoneBy() == null ? "" : "[" + a.undoneBy().describe() + "] ";
    return undone + tagMarker(a);
  }

  private static String tagMarker(Attribution a) {
    TransactionTag tag = a.tag();
    if (tag == null) {
      return "";
    }
    String why = tag.reason() == null ? "" : ": " + tag.reason();
    if (tag.isRollback()) {
      return "[rollback" + (a.isAttributed() ? " by " + a.actor() : "") + why + "] ";
    }
    return tag.reason() == null ? "" : "[" + tag.reason() + "] ";
  }

  public static String opName(ChangeEvent c) {
    return switch (c.op()) {
      case READ -> "snapshot";
      default -> c.op().name().toLowerCase(Locale.ROOT);
    };
  }

  static String describe(ChangeEvent c) {
    return switch (c.op()) {
      case READ, INSERT -> values(c.after());
      case DELETE -> "deleted; was " + values(c.before());
      case TRUNCATE -> "removed by TRUNCATE " + c.table() + "; was " + values(c.before());
      case ABSENT ->
          "not in the snapshot taken after a gap: removed at an unknown moment inside it; was "
              + values(c.before());
      case UPDATE -> {
        StringBuilder sb = new StringBuilder();
        for (String col : c.changedColumns()) {
          int i = c.after().schema().indexOf(col);
          var schema = c.after().schema().column(i).schema();
          if (sb.length() > 0) {
            sb.append("; ");
          }
          sb.append(col)
              .append(": ")
              .append(shorten(ValueFormat.render(c.before().get(i), schema)))
              .append(" -> ")
              .append(shorten(ValueFormat.render(c.after().get(i), schema)));
        }
        yield sb.length() == 0 ? "(no column changed)" : sb.toString();
      }
    };
  }

  private static String values(Row row) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < row.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(row.schema().column(i).name())
          .append('=')
          .append(shorten(ValueFormat.render(row.get(i), row.schema().column(i).schema())));
    }
    return sb.toString();
  }

  private static String shorten(String s) {
    String oneLine = s.replace('\n', ' ');
    return oneLine.length() <= MAX_VALUE ? oneLine : oneLine.substring(0, MAX_VALUE - 1) + "…";
  }
}
