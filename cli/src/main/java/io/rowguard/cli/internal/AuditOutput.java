package io.rowguard.cli.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.audit.AuditLog;
import io.rowguard.audit.AuditRow;
import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Row;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.ValueFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;

/** Audit answers, streamed: a text table, CSV, or one JSON document. */
public abstract class AuditOutput implements AutoCloseable {
  protected final PrintWriter out;

  AuditOutput(PrintWriter out) {
    this.out = out;
  }

  public abstract void row(AuditRow r);

  /** Ends the answer; {@code page} says how many rows and where the next page starts. */
  public abstract void finish(AuditLog.Page page);

  @Override
  public void close() {
    out.flush();
  }

  public static AuditOutput text(PrintWriter out) {
    return new Text(out);
  }

  public static AuditOutput csv(PrintWriter out) {
    return new Csv(out);
  }

  public static AuditOutput json(PrintWriter out, java.util.Map<String, Object> query) {
    return new JsonOut(out, query);
  }

  static String reason(Attribution a) {
    TransactionTag t = a.tag();
    return t == null || t.reason() == null ? "" : t.reason();
  }

  /** The message's reason and, when a rowguard rollback undid the transaction, which one. */
  static String remarks(Attribution a) {
    String why = reason(a);
    if (a.undoneBy() == null) {
      return why;
    }
    return why.isEmpty() ? a.undoneBy().describe() : why + "; " + a.undoneBy().describe();
  }

  private static final class Text extends AuditOutput {
    private final StreamingTable table;

    Text(PrintWriter out) {
      super(out);
      table =
          new StreamingTable(
              out, "SEQ", "COMMITTED (UTC)", "TX", "BY", "OP", "TABLE", "KEY", "CHANGED");
    }

    @Override
    public void row(AuditRow r) {
      ChangeEvent c = r.change();
      String changed = String.join(", ", r.changedColumns());
      String why = remarks(r.attribution());
      table.add(
          Long.toString(r.seq()),
          ValueFormat.instant(c.commitMicros()),
          c.txId(),
          HistoryView.actor(r.attribution()),
          HistoryView.opName(c),
          c.table().toString(),
          c.key().toString(),
          why.isEmpty() ? changed : changed + "  [" + why + "]");
    }

    @Override
    public void finish(AuditLog.Page page) {
      table.close();
      if (page.rows() == 0) {
        out.println("no changes match");
      }
      out.flush();
    }
  }

  private static final class Csv extends AuditOutput {
    Csv(PrintWriter out) {
      super(out);
      out.println(
          "seq,committed,tx,actor,actor_source,op,table,key,changed_columns,reason,backed_out_by");
    }

    @Override
    public void row(AuditRow r) {
      ChangeEvent c = r.change();
      Attribution a = r.attribution();
      out.println(
          String.join(
              ",",
              Long.toString(r.seq()),
              ValueFormat.instant(c.commitMicros()),
              csv(c.txId()),
              csv(a.isAttributed() ? a.actor() : ""),
              a.isAttributed() ? a.source().label() : "",
              HistoryView.opName(c),
              csv(c.table().toString()),
              csv(c.key().toString()),
              csv(String.join(" ", r.changedColumns())),
              csv(reason(a)),
              a.undoneBy() == null ? "" : csv(a.undoneBy().txId())));
    }

    @Override
    public void finish(AuditLog.Page page) {
      out.flush();
    }

    static String csv(String s) {
      if (s.indexOf(',') >= 0
          || s.indexOf('"') >= 0
          || s.indexOf('\n') >= 0
          || s.indexOf('\r') >= 0) {
        return '"' + s.replace("\"", "\"\"") + '"';
      }
      return s;
    }
  }

  private static final class JsonOut extends AuditOutput {
    private final JsonGenerator g;

    JsonOut(PrintWriter out, java.util.Map<String, Object> query) {
      super(out);
      try {
        g = new ObjectMapper().getFactory().createGenerator(out).useDefaultPrettyPrinter();
        g.writeStartObject();
        g.writeObjectField("query", query);
        g.writeArrayFieldStart("changes");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void row(AuditRow r) {
      ChangeEvent c = r.change();
      var node = Json.NODES.objectNode();
      node.put("seq", r.seq());
      node.put("committed", ValueFormat.instant(c.commitMicros()));
      node.put("tx", c.txId());
      HistoryView.attributionJson(node, r.attribution());
      node.put("op", HistoryView.opName(c));
      node.put("table", c.table().toString());
      node.set("key", Json.key(c.key()));
      var changed = node.putArray("changed");
      r.changedColumns().forEach(changed::add);
      node.set("old", values(c.before(), r.changedColumns()));
      node.set("new", values(c.after(), r.changedColumns()));
      try {
        g.writeTree(node);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private static com.fasterxml.jackson.databind.JsonNode values(Row row, List<String> columns) {
      if (row == null) {
        return Json.NODES.nullNode();
      }
      var node = Json.NODES.objectNode();
      for (String col : columns) {
        int i = row.schema().indexOf(col);
        if (i >= 0) {
          node.set(col, Json.value(row.get(i), row.schema().column(i).schema()));
        }
      }
      return node;
    }

    @Override
    public void finish(AuditLog.Page page) {
      try {
        g.writeEndArray();
        g.writeNumberField("count", page.rows());
        if (page.next().isPresent()) {
          g.writeNumberField("next", page.next().getAsLong());
        } else {
          g.writeNullField("next");
        }
        g.writeEndObject();
        g.flush();
        out.println();
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
