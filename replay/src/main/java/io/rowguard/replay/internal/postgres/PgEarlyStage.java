package io.rowguard.replay.internal.postgres;

import io.rowguard.core.TableId;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier.Outcome;
import io.rowguard.replay.PlanApplier.Progress;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole-table plan's rows staged for the lean write while the planner still reads, in one COPY
 * the database parses meanwhile. A row revised by the plan's end is deleted from the stage and
 * staged again. A failure turns the stage off; the plan is then applied the usual way.
 */
final class PgEarlyStage implements Planner.EarlyRows {
  private static final Logger LOG = LoggerFactory.getLogger(PgEarlyStage.class);

  private final PostgresApplier applier;
  private final Connection connection;
  private final PgTableWork work;
  private final String txId;
  private final Progress progress;
  private final List<Integer> stale = new ArrayList<>();
  private int staged;
  private boolean opened;
  private boolean off;

  /** The lean write ran (and fell short): no need to try it again unstreamed. */
  boolean written;

  PgEarlyStage(
      PostgresApplier applier,
      Connection connection,
      PgTableWork work,
      String txId,
      Progress progress) {
    this.applier = applier;
    this.connection = connection;
    this.work = work;
    this.txId = txId;
    this.progress = progress;
  }

  /**
   * Plans the rollback of a whole table and applies it: what {@link Planner#rollbackTable(TableId,
   * PointInTime)} and then {@link #apply} do, but with {@link ConflictPolicy#ABORT} the lean
   * write's rows are staged while the planner still reads the journal, and the database parses them
   * meanwhile. A row that changed again later in the journal is staged again once the plan is done.
   * The database is written only after the plan is complete, checked as by {@link #apply}.
   */
  static Outcome rollbackTable(
      PostgresApplier applier,
      Connection connection,
      Planner planner,
      TableId table,
      PointInTime point,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress) {
    if (policy != ConflictPolicy.ABORT) {
      RollbackPlan plan = planner.rollbackTable(table, point);
      return new Outcome(plan, applier.apply(plan, policy, operator, reason, progress));
    }
    PgTableWork w = new PgTableWork(connection, table, "rg_plan_0", ConflictPolicy.ABORT, true);
    try {
      // the plan is not known yet: whatever it needs of the table
      PgPrivileges.check(connection, Map.of(table, EnumSet.allOf(Action.class)));
      // a table with its own trigger is compared by value; a table gone is reported by apply
      w.readLiveTable();
      if (w.live.isEmpty() || applier.userTriggers(Set.of(table))) {
        RollbackPlan plan = planner.rollbackTable(table, point);
        return new Outcome(plan, applier.apply(plan, policy, operator, reason, progress));
      }
    } catch (SQLException e) {
      throw PgErrors.describe(e);
    }
    w.allLiveColumns();
    RollbackPlan plan = null;
    boolean tryLean = true;
    RuntimeException failure = null;
    PgEarlyStage stage = null;
    try {
      connection.setAutoCommit(false);
      stage = new PgEarlyStage(applier, connection, w, applier.startTransaction(), progress);
      try (Statement s = connection.createStatement()) {
        // the transaction waits for the journal's first rows of the table: not idle by mistake
        s.execute("SET LOCAL idle_in_transaction_session_timeout = 0");
      }
      plan = planner.rollbackTable(table, point, stage);
      if (!plan.changes().isEmpty()) {
        ApplyResult result;
        try {
          result = stage.finish(plan, operator, reason, progress);
        } catch (SQLException e) {
          LOG.debug("The lean apply failed; comparing values instead", e);
          result = null;
        }
        if (result != null) {
          connection.commit();
          return new Outcome(plan, result);
        }
        // as in apply: a conflict, a row xmin can't vouch for, or an error
        tryLean = !stage.written;
      }
    } catch (SQLException e) {
      failure = PgErrors.describe(e);
    } catch (RuntimeException e) {
      failure = e; // the planner's: the time, the journal
    } finally {
      failure = endStage(connection, stage, failure);
    }
    if (failure != null) {
      throw failure;
    }
    return new Outcome(plan, applier.apply(plan, policy, operator, reason, progress, tryLean));
  }

  /**
   * Abandons what is left of a stage and its transaction, and gives the connection back in
   * auto-commit mode; a failure to do so is added to {@code failure}, or becomes it.
   */
  private static RuntimeException endStage(
      Connection connection, PgEarlyStage stage, RuntimeException failure) {
    if (stage != null) {
      stage.abandon();
    }
    try {
      try {
        connection.rollback(); // nothing left after a commit
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      if (failure == null) {
        return PgErrors.describe(e);
      }
      failure.addSuppressed(e);
    }
    return failure;
  }

  @Override
  public synchronized void row(int id, RowChange change) {
    stage(id, change);
  }

  @Override
  public synchronized void revised(int id, RowChange change) {
    stale.add(id);
    if (change != null) {
      stage(-1 - id, change); // an ord no early row has
    }
  }

  private void stage(int ord, RowChange c) {
    if (off) {
      return;
    }
    try {
      if (!opened) {
        work.keyColumns = c.schema().keyColumns();
        if (!work.live.keySet().containsAll(work.keyColumns)) {
          giveUp(null); // the usual path says which is gone
          return;
        }
        opened = true;
        work.openCopy();
      } else if (!c.schema().keyColumns().equals(work.keyColumns)) {
        giveUp(null); // the key changed in the plan's span: left to the usual path
        return;
      }
      work.stage(ord, c);
      if (++staged % PgCopy.CHUNK == 0) {
        progress.update("planning", staged, -1); // how many rows the table has is not known
      }
    } catch (SQLException | RuntimeException e) {
      giveUp(e);
    }
  }

  /** Off: the COPY cancelled and the transaction ended now, not held while the planner reads. */
  private void giveUp(Exception e) {
    if (e != null) {
      LOG.debug("Staging the plan while planning failed; it is staged afterwards", e);
    }
    off = true;
    work.abandonCopy();
    try {
      connection.rollback();
    } catch (SQLException r) {
      LOG.debug("Rolling back the abandoned stage failed", r);
    }
  }

  /** The lean write of the complete plan; null when it fell short or the stage is off. */
  synchronized ApplyResult finish(
      RollbackPlan plan, String operator, String reason, Progress progress) throws SQLException {
    if (off || !opened) {
      return null;
    }
    work.closeCopy();
    int deleted = 0;
    if (!stale.isEmpty()) {
      // joined, not = ANY: before PostgreSQL 14 that compares each row with the whole array
      try (PreparedStatement ps =
          connection.prepareStatement(
              "DELETE FROM "
                  + work.temp
                  + " p USING unnest(?::int4[]) s(ord) WHERE p.ord = s.ord")) {
        ps.setArray(1, connection.createArrayOf("int4", stale.toArray()));
        deleted = ps.executeUpdate();
      }
    }
    long total = plan.changes().size();
    if (deleted != stale.size() || staged - deleted != total) {
      LOG.debug("Staged {} rows while planning, the plan has {}", staged - deleted, total);
      return null;
    }
    // what was read before planning still holds: no trigger since, the same columns
    if (applier.userTriggers(Set.of(work.table)) || work.liveTableChanged()) {
      return null;
    }
    if (!plan.settled().isEmpty()) {
      return null; // rows found at their target are checked by the comparing path
    }
    progress.update("loading the plan", total, total);
    work.plan(plan.changes());
    if (!work.checks.lossyCells().isEmpty()) {
      return null; // reported, with the policy's answer, by the comparing path
    }
    List<String> warnings = new ArrayList<>(plan.warnings());
    work.imageColumns(warnings); // only warnings: every live column is staged already
    // written are only columns the journal's images have, in the shapes of the final rows
    work.writable.retainAll(work.imaged);
    if (!stale.isEmpty()) {
      work.writePatterns.clear();
      for (RowChange c : plan.changes()) {
        work.notePattern(c);
      }
    }
    applier.markTransaction(plan, operator, reason);
    Map<Action, Integer> applied = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      applied.put(a, 0);
    }
    written = true;
    if (!applier.writeChecked(PgSteps.of(connection, Map.of(work.table, work)), applied, false)) {
      return null;
    }
    progress.update("applied", total, total);
    return new ApplyResult(plan.id(), txId, applied, List.of(), false, warnings);
  }

  synchronized void abandon() {
    off = true;
    work.abandonCopy();
  }
}
