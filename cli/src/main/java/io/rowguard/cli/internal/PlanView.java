package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.core.Row;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.ValueFormat;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.RollbackPlan;
import io.rowguard.replay.RowChange;
import io.rowguard.replay.UndoneTransaction;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/** A plan and its outcome, as a table for people or one JSON document. */
public final class PlanView {
  private static final int SHOWN = 50;
  private static final int MAX_VALUE = 40;

  private PlanView() {}

  public static void printText(PrintWriter out, RollbackPlan plan, SqlDialect dialect) {
    printText(out, plan, SHOWN, dialect);
  }

  /** Shows at most {@code limit} rows and statements. */
  public static void printText(PrintWriter out, RollbackPlan plan, int limit, SqlDialect dialect) {
    Map<Action, Integer> counts = plan.counts();
    out.println("plan " + plan.id() + ": " + plan.description());
    out.printf(
        "  %d row(s) to update, %d to insert, %d to delete; %d already at their target state%n",
        counts.get(Action.UPDATE),
        counts.get(Action.INSERT),
        counts.get(Action.DELETE),
        plan.unchanged());
    if (!plan.undone().isEmpty()) {
      long distinct = plan.undone().stream().map(UndoneTransaction::txId).distinct().count();
      out.println("  transactions whose work it undoes (" + distinct + "):");
      int n = 0;
      for (UndoneTransaction u : plan.undone()) {
        if (n++ == limit) {
          out.println("    … and " + (plan.undone().size() - limit) + " more (--json lists all)");
          break;
        }
        out.println(
            "    transaction "
                + u.txId()
                + " at "
                + io.rowguard.core.ValueFormat.instant(u.commitMicros())
                + (u.actor().isEmpty() ? " (unattributed)" : " by " + u.actor())
                + ": "
                + u.changes()
                + " change(s) of "
                + u.table());
      }
    }
    for (String w : plan.warnings()) {
      out.println("  warning: " + w);
    }
    int cells = 0;
    for (RowChange c : plan.changes()) {
      if (!c.conflict().isEmpty() && cells++ < limit) {
        out.println("  conflict: " + c.table() + " key " + c.key() + ": " + c.conflict());
      }
    }
    if (cells > limit) {
      out.println("  … and " + (cells - limit) + " more row(s) with conflicts (--json lists all)");
    }
    if (cells > 0) {
      out.println(
          "  applying aborts on these: --on-conflict skip keeps the later work, overwrite puts"
              + " the earlier state back, --cascade backs out the later transactions too");
    } else if (!plan.dependents().isEmpty()) {
      out.println(
          "  conflict: later transaction(s) "
              + String.join(", ", plan.dependents())
              + " changed these rows too; --cascade backs them out as well");
    }
    if (plan.changes().isEmpty()) {
      out.flush();
      return;
    }
    out.println();
    TextTable t = new TextTable("TABLE", "KEY", "ACTION", "CHANGES (current -> target)");
    int shown = 0;
    for (RowChange c : plan.changes()) {
      if (shown++ == limit) {
        break;
      }
      t.add(c.table().toString(), c.key().toString(), name(c.action()), describe(c));
    }
    t.print(out);
    out.println();
    out.println("SQL (applied set-based, in one transaction, after checking each row):");
    shown = 0;
    for (RowChange c : plan.changes()) {
      if (shown++ == limit) {
        break;
      }
      out.println("  " + PlanApplier.sqlFor(c, dialect));
    }
    if (plan.changes().size() > limit) {
      out.println("  … and " + (plan.changes().size() - limit) + " more rows (--json lists all)");
    }
    out.flush();
  }

  /** The outcome of an apply; {@code configFile} goes into the command that undoes it. */
  public static void printResult(PrintWriter out, ApplyResult r, java.nio.file.Path configFile) {
    if (r.aborted()) {
      out.println(
          "aborted: "
              + r.conflicts().size()
              + " row(s) moved on since the journal's last"
              + " version; nothing was written (--on-conflict skip or overwrite to proceed)");
    } else {
      out.printf(
          "applied in transaction %s: %d updated, %d inserted, %d deleted%n",
          r.txId(),
          r.applied().get(Action.UPDATE),
          r.applied().get(Action.INSERT),
          r.applied().get(Action.DELETE));
    }
    for (ApplyResult.Conflict c : r.conflicts()) {
      out.println("  conflict: " + c.table() + " key " + c.key() + ": " + c.reason());
    }
    for (String w : r.warnings()) {
      out.println("  warning: " + w);
    }
    if (!r.aborted() && !r.txId().isEmpty()) {
      out.println(
          "This rollback is journaled like any change; undo it with: rowguard backout -c "
              + configFile
              + " --tx "
              + r.txId());
    }
    out.flush();
  }

  /**
   * What identifies a plan's content, for {@code rowguard serve} to tell whether a plan is still
   * the one shown: a SHA-256 over its JSON document without its random id.
   */
  public static String digest(String planJson) {
    try {
      ObjectNode doc = (ObjectNode) Json.parse(planJson);
      doc.remove("plan");
      byte[] bytes = Json.compact(doc);
      return java.util.HexFormat.of()
          .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("a plan's JSON could not be read back", e);
    }
  }

  /** The plan (and what applying it did) as one document, its rows written one at a time. */
  public static void printJson(
      PrintWriter out, RollbackPlan plan, ApplyResult result, SqlDialect dialect) {
    ObjectNode head = Json.NODES.objectNode();
    head.put("plan", plan.id());
    head.put("description", plan.description());
    ObjectNode summary = head.putObject("summary");
    plan.counts().forEach((a, n) -> summary.put(name(a), n));
    summary.put("unchanged", plan.unchanged());
    Json.printStreamed(
        out, head, "rows", plan.changes(), c -> rowJson(c, dialect), tail(plan, result));
  }

  private static ObjectNode rowJson(RowChange c, SqlDialect dialect) {
    ObjectNode r = Json.NODES.objectNode();
    r.put("table", c.table().toString());
    r.set("key", Json.key(c.key()));
    r.put("action", name(c.action()));
    r.set("current", Json.row(c.current()));
    r.set("target", Json.row(c.target()));
    ArrayNode changed = r.putArray("changed");
    c.changedColumns().forEach(changed::add);
    ArrayNode deps = r.putArray("dependents");
    c.dependents().forEach(deps::add);
    if (!c.conflict().isEmpty()) {
      r.put("conflict", c.conflict());
    }
    r.put("sql", PlanApplier.sqlFor(c, dialect));
    return r;
  }

  /** The fields after the rows: what it undoes, warnings, and the outcome. */
  private static ObjectNode tail(RollbackPlan plan, ApplyResult result) {
    ObjectNode doc = Json.NODES.objectNode();
    ArrayNode undone = doc.putArray("undoes");
    for (UndoneTransaction u : plan.undone()) {
      undone
          .addObject()
          .put("tx", u.txId())
          .put("commitTime", io.rowguard.core.ValueFormat.instant(u.commitMicros()))
          .put("actor", u.actor())
          .put("table", u.table().toString())
          .put("changes", u.changes());
    }
    ArrayNode warnings = doc.putArray("warnings");
    plan.warnings().forEach(warnings::add);
    ArrayNode dependents = doc.putArray("dependents");
    plan.dependents().forEach(dependents::add);
    doc.put("applied", result != null && !result.aborted());
    if (result != null) {
      doc.put("aborted", result.aborted());
      doc.put("rollbackTx", result.txId());
      ObjectNode applied = doc.putObject("written");
      result.applied().forEach((a, n) -> applied.put(name(a), n));
      ArrayNode conflicts = doc.putArray("conflicts");
      for (ApplyResult.Conflict c : result.conflicts()) {
        ObjectNode o = conflicts.addObject();
        o.put("table", c.table().toString());
        o.set("key", Json.key(c.key()));
        o.put("reason", c.reason());
      }
      ArrayNode rw = doc.putArray("applyWarnings");
      result.warnings().forEach(rw::add);
    }
    return doc;
  }

  private static String name(Action a) {
    return a.name().toLowerCase(Locale.ROOT);
  }

  private static String describe(RowChange c) {
    StringBuilder sb = new StringBuilder();
    for (String col : c.changedColumns()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(col)
          .append(": ")
          .append(value(c.current(), col))
          .append(" -> ")
          .append(value(c.target(), col));
    }
    return sb.toString();
  }

  private static String value(Row row, String column) {
    if (row == null) {
      return "(none)";
    }
    int i = row.schema().indexOf(column);
    if (i < 0) {
      return "(no column)";
    }
    String s = ValueFormat.render(row.get(i), row.schema().column(i).schema()).replace('\n', ' ');
    return s.length() <= MAX_VALUE ? s : s.substring(0, MAX_VALUE - 1) + "…";
  }
}
