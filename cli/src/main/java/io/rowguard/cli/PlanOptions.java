package io.rowguard.cli;

import io.rowguard.cli.internal.PlanView;
import io.rowguard.cli.internal.ProgressBar;
import io.rowguard.connectors.Database;
import io.rowguard.connectors.Freshness;
import io.rowguard.core.Durations;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.Cascades;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
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

  @Option(
      names = "--wait",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "Before planning, how long to wait for capture to journal everything the database"
              + " committed until now (e.g. 30s, 2m). A journal that has not caught up by then is"
              + " refused (exit 1). Default: ${DEFAULT-VALUE}.")
  String waitFor;

  @Option(
      names = "--allow-stale",
      description =
          "Plan from the journal as it is, without asking the database how far it has got"
              + " (capture stopped, or the database unreachable). Rows that moved on since are"
              + " still conflicts when the plan is applied.")
  boolean allowStale;

  /**
   * For {@code rowguard serve}: apply only if the plan is still the one shown ({@link
   * PlanView#digest}); when it is not, nothing is written, the new plan is printed (without {@code
   * aborted}) and the exit code is 3.
   */
  @Option(names = "--expect-plan", hidden = true, paramLabel = "DIGEST")
  String expectPlan;

  ConflictPolicy policy() {
    try {
      return ConflictPolicy.parse(onConflict);
    } catch (IllegalArgumentException e) {
      throw new InputException(
          "bad --on-conflict '" + onConflict + "': use abort, skip or overwrite");
    }
  }

  private Freshness.Check freshness;

  /**
   * Starts the check that the journal holds everything the source committed before now, in the
   * background: the connection and the mark overlap opening the journal and planning.
   */
  void startFreshnessCheck(RowguardConfig config) {
    if (!allowStale && freshness == null) {
      freshness = Freshness.start(config);
    }
  }

  /**
   * Waits until {@code journal} holds everything the source committed before the check started
   * (now, if it was not started), or refuses: a plan from a lagging journal would miss the latest
   * writes. Returns true when the journal moved on meanwhile (a plan made before is to be made
   * again).
   */
  boolean ensureFresh(RowguardConfig config, Journal journal) {
    if (allowStale) {
      return false;
    }
    long before = journal.lastSeq();
    Duration wait =
        waitFor.trim().matches("0+[a-z]*") ? Duration.ZERO : Durations.parse(waitFor, "--wait");
    startFreshnessCheck(config);
    Freshness f = freshness.await(journal, wait, line -> System.err.println(line));
    if (!f.fresh()) {
      throw new RowguardException(
          "the journal has not caught up with the database: it is at "
              + (f.journaled().isEmpty() ? "no position yet" : f.journaled())
              + (f.behind() > 0 ? ", " + f.behind() + " " + f.unit() + " behind " : ", behind ")
              + f.mark()
              + " after waiting "
              + f.waited().toMillis()
              + " ms (is `rowguard capture` running, and keeping up? `rowguard status` says);"
              + " start it and try again, wait longer with --wait, or plan from the journal as it"
              + " is with --allow-stale");
    }
    return journal.lastSeq() != before;
  }

  /** Prints the plan, applies it if asked; returns the exit code. */
  int run(RowguardConfig config, RollbackPlan plan, PrintWriter out) {
    ConflictPolicy policy = policy();
    plan = withForeignKeyActions(config, plan);
    if (!apply) {
      if (json) {
        PlanView.printJson(out, plan, null, dialect(config));
      } else {
        PlanView.printText(out, plan, dialect(config));
        out.println();
        out.println("Dry run: nothing was written. Add --apply to write it.");
        out.flush();
      }
      return Main.OK;
    }
    if (expectPlan != null) {
      java.io.StringWriter shown = new java.io.StringWriter();
      PlanView.printJson(new PrintWriter(shown), plan, null, dialect(config));
      if (!PlanView.digest(shown.toString()).equals(expectPlan)) {
        out.print(shown);
        out.flush();
        return Main.CONFLICTS;
      }
    }
    if (!json) {
      // the plan first: if applying it fails, what was tried is on the screen
      PlanView.printText(out, plan, dialect(config));
      out.println();
      out.flush();
    }
    ApplyResult result;
    try (Connection c = Database.connectToApply(config)) {
      result =
          new PlanApplier(c)
              .apply(plan, policy, operator, reason, new ProgressBar(System.err, 5_000));
    } catch (SQLException e) {
      throw new io.rowguard.replay.ReplayException("closing the connection failed", e);
    }
    if (json) {
      PlanView.printJson(out, plan, result, dialect(config));
    } else {
      PlanView.printResult(out, result, config.file());
    }
    return result.aborted() ? Main.CONFLICTS : Main.OK;
  }

  /**
   * The plan, warning of rows outside it that foreign key actions ({@code ON DELETE CASCADE} and
   * the like) would delete or change when it is applied.
   */
  private static RollbackPlan withForeignKeyActions(RowguardConfig config, RollbackPlan plan) {
    if (plan.changes().isEmpty()) {
      return plan;
    }
    try (Connection c = Database.connect(config)) {
      return plan.warning(Cascades.describe(c, plan));
    } catch (SQLException e) {
      String why = e.getMessage() == null ? e.getSQLState() : e.getMessage().split("\n")[0];
      return plan.warning(
          List.of(
              "what foreign key actions (ON DELETE CASCADE and the like) would do beyond the plan"
                  + " could not be read: "
                  + why));
    }
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
    try (Connection c = Database.connectToApply(config)) {
      o =
          new PlanApplier(c)
              .rollbackTable(
                  planner, table, at, policy, operator, reason, new ProgressBar(System.err, 5_000));
    } catch (SQLException e) {
      throw new io.rowguard.replay.ReplayException("closing the connection failed", e);
    }
    return printApplied(config, o.plan(), o.result(), out);
  }

  static SqlDialect dialect(RowguardConfig config) {
    return SqlDialect.of(config.connector());
  }

  private int printApplied(
      RowguardConfig config, RollbackPlan plan, ApplyResult result, PrintWriter out) {
    if (json) {
      PlanView.printJson(out, plan, result, dialect(config));
    } else {
      PlanView.printText(out, plan, dialect(config));
      out.println();
      PlanView.printResult(out, result, config.file());
    }
    return result.aborted() ? Main.CONFLICTS : Main.OK;
  }
}
