package io.rowguard.cli;

import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.PlanView;
import io.rowguard.cli.internal.ProgressBar;
import io.rowguard.connectors.Database;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import picocli.CommandLine.Option;

/** What rollback and backout share: dry-run or apply, the conflict policy, who and why. */
final class PlanOptions {
  @Option(
      names = "--apply",
      description =
          "Write the plan to the database. Without it nothing is written: the plan is"
              + " only printed.")
  boolean apply;

  @Option(
      names = "--on-conflict",
      paramLabel = "POLICY",
      defaultValue = "abort",
      description =
          "A row that moved on since the journal's last version, or (backout) a value a later"
              + " transaction changed too: abort (write nothing, exit 3), skip (leave it, apply"
              + " the rest) or overwrite. Default: ${DEFAULT-VALUE}.")
  String onConflict;

  @Option(
      names = "--operator",
      paramLabel = "NAME",
      description = "Who is rolling back, recorded with the writes (default: the OS user).")
  String operator = System.getProperty("user.name", "unknown");

  @Option(names = "--reason", paramLabel = "TEXT", description = "Why, recorded with the writes.")
  String reason = "";

  @Option(names = "--json", description = "Print the plan (and result) as one JSON document.")
  boolean json;

  ConflictPolicy policy() {
    try {
      return ConflictPolicy.parse(onConflict);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          "bad --on-conflict '" + onConflict + "': use abort, skip or overwrite");
    }
  }

  /** Prints the plan, applies it if asked; returns the exit code. */
  int run(RowguardConfig config, RollbackPlan plan, PrintWriter out) {
    ConflictPolicy policy = policy();
    if (!apply) {
      if (json) {
        Json.print(out, PlanView.json(plan, null));
      } else {
        PlanView.printText(out, plan);
        out.println();
        out.println("Dry run: nothing was written. Add --apply to write it.");
        out.flush();
      }
      return Main.OK;
    }
    ApplyResult result;
    try (Connection c = Database.connect(config)) {
      result =
          new PlanApplier(c)
              .apply(plan, policy, operator, reason, new ProgressBar(System.err, 5_000));
    } catch (SQLException e) {
      throw new io.rowguard.replay.ReplayException("closing the connection failed", e);
    }
    return printApplied(plan, result, out);
  }

  /**
   * A whole table's rollback with --apply: planned and written together, the plan's rows staged in
   * the database while the journal is still read ({@link PlanApplier#rollbackTable}).
   */
  int runTable(
      RowguardConfig config, Planner planner, TableId table, PointInTime at, PrintWriter out) {
    ConflictPolicy policy = policy();
    planner.check(table, at); // bad input is refused before the database is touched
    PlanApplier.Outcome o;
    try (Connection c = Database.connect(config)) {
      o =
          new PlanApplier(c)
              .rollbackTable(
                  planner, table, at, policy, operator, reason, new ProgressBar(System.err, 5_000));
    } catch (SQLException e) {
      throw new io.rowguard.replay.ReplayException("closing the connection failed", e);
    }
    return printApplied(o.plan(), o.result(), out);
  }

  private int printApplied(RollbackPlan plan, ApplyResult result, PrintWriter out) {
    if (json) {
      Json.print(out, PlanView.json(plan, result));
    } else {
      PlanView.printText(out, plan);
      out.println();
      PlanView.printResult(out, result);
    }
    return result.aborted() ? Main.CONFLICTS : Main.OK;
  }
}
