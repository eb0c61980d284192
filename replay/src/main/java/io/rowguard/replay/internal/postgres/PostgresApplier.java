package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.Column;
import io.rowguard.core.TableId;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.PlanApplier.Outcome;
import io.rowguard.replay.PlanApplier.Progress;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a plan to PostgreSQL in one transaction, set-based: the plan's rows are copied into a
 * temporary table, and one DELETE, UPDATE and INSERT per table (an UPDATE per set of columns
 * written, when there are a few) write the target states, in foreign-key order, each only where the
 * live row is still the state the journal says is current.
 *
 * <p>With {@link ConflictPolicy#ABORT} that check is the write itself, done lean first: only the
 * target values are staged, with the id of the transaction that wrote the journal's current version
 * of each row, and a live row passes when that transaction wrote it ({@code xmin}). Any later write
 * gives the row a new xmin, so a row that passes is unchanged; a row that a concurrent writer
 * changes is re-checked by PostgreSQL against its new version before it is written. When every
 * statement wrote every row it should, there was no conflict. Otherwise (a conflict, or a row that
 * xmin can't vouch for: last written in a subtransaction, or read by a snapshot) the transaction
 * starts again, stages current images too and compares column by column; if that falls short as
 * well, and for the other policies, the live rows are locked ({@code FOR UPDATE}) and compared, and
 * the conflicts are reported or handled. A rowguard logical message in the same transaction marks
 * the writes as this rollback, so the journal records them as such and they can be backed out.
 */
public final class PostgresApplier {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresApplier.class);

  private final Connection connection;

  /** The caller owns the connection; it is left in auto-commit mode afterwards. */
  public PostgresApplier(Connection connection) {
    this.connection = connection;
  }

  /**
   * Applies {@code plan}, its writes marked as the rollback of {@code operator} for {@code reason}.
   */
  public ApplyResult apply(
      RollbackPlan plan, ConflictPolicy policy, String operator, String reason, Progress progress) {
    return apply(plan, policy, operator, reason, progress, true);
  }

  /**
   * Plans the rollback of a whole table and applies it, as {@link PlanApplier#rollbackTable} says:
   * with {@link ConflictPolicy#ABORT} the lean write's rows are staged while the planner still
   * reads the journal ({@link PgEarlyStage}).
   */
  public Outcome rollbackTable(
      Planner planner,
      TableId table,
      PointInTime point,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress) {
    return PgEarlyStage.rollbackTable(
        this, connection, planner, table, point, policy, operator, reason, progress);
  }

  ApplyResult apply(
      RollbackPlan plan,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress,
      boolean tryLean) {
    Map<Action, Integer> applied = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      applied.put(a, 0);
    }
    if (plan.changes().isEmpty()) {
      // nothing to write, but the rows found at their target must still be there
      List<ApplyResult.Conflict> moved = settledOnly(plan);
      if (moved.isEmpty() || policy != ConflictPolicy.OVERWRITE) {
        return new ApplyResult(
            plan.id(),
            "",
            applied,
            moved,
            policy == ConflictPolicy.ABORT && !moved.isEmpty(),
            plan.warnings());
      }
      plan = plan.withChanges(overwriting(plan, moved));
    }
    boolean dependents = plan.changes().stream().anyMatch(c -> !c.dependents().isEmpty());
    try {
      PgPrivileges.check(connection, PgPrivileges.of(plan));
    } catch (SQLException e) {
      throw PgErrors.describe(e);
    }
    try {
      connection.setAutoCommit(false);
      try {
        // abort and skip agree while no row moved on: each statement writes the rows still at
        // the journal's version, and only a count that falls short needs the comparing path
        boolean checkedFirst = policy == ConflictPolicy.ABORT || policy == ConflictPolicy.SKIP;
        if (tryLean && checkedFirst && !dependents && !userTriggers(plan)) {
          ApplyResult result;
          try {
            result = applyInTransaction(plan, policy, operator, reason, progress, applied, true);
          } catch (SQLException e) {
            // the comparing path meets the same error again if it is the plan's, and reports it
            LOG.debug("The lean apply failed; comparing values instead", e);
            result = null;
          }
          if (result != null && result.aborted()) {
            connection.rollback();
            return result;
          }
          if (result != null) {
            connection.commit();
            return result;
          }
          // a conflict, or a row last written by a subtransaction or read by a snapshot, or an
          // error: the transaction starts again and compares values
          connection.rollback();
          applied.replaceAll((a, count) -> 0);
        }
        ApplyResult result =
            applyInTransaction(plan, policy, operator, reason, progress, applied, false);
        if (result.aborted()) {
          connection.rollback();
        } else {
          connection.commit();
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw PgErrors.describe(e);
    }
  }

  /**
   * Whether a table of the plan has a trigger of its own (not a foreign key's). The lean attempt
   * checks each row before it writes it; such a trigger could then remove a row it already wrote,
   * which only the comparing path puts back whole.
   */
  private boolean userTriggers(RollbackPlan plan) throws SQLException {
    Set<TableId> tables = new LinkedHashSet<>();
    for (RowChange c : plan.changes()) {
      tables.add(c.table());
    }
    return userTriggers(tables);
  }

  boolean userTriggers(Set<TableId> ids) throws SQLException {
    List<String> tables = ids.stream().map(POSTGRES::quote).toList();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE NOT tgisinternal"
                + " AND tgrelid IN (SELECT to_regclass(t) FROM unnest(?::text[]) t))")) {
      ps.setArray(1, connection.createArrayOf("text", tables.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Starts the transaction: settings, its id, the rowguard message. */
  private String begin(RollbackPlan plan, String operator, String reason) throws SQLException {
    String txId = startTransaction();
    markTransaction(plan, operator, reason);
    return txId;
  }

  /** The transaction's settings; returns its id. */
  String startTransaction() throws SQLException {
    String txId;
    try (Statement s = connection.createStatement()) {
      s.execute("SET CONSTRAINTS ALL DEFERRED");
      // the joins of a large plan hash in memory rather than in batches on disk
      s.execute("SET LOCAL work_mem = '64MB'");
      try (ResultSet rs = s.executeQuery("SELECT txid_current() % 4294967296")) {
        rs.next();
        txId = rs.getString(1);
      }
    }
    return txId;
  }

  /**
   * Applies the plan in the current transaction.
   *
   * @param lean the xmin check only (abort or skip, no dependents): a live row is still the
   *     journal's version of it when the transaction that wrote that version is the one that wrote
   *     the live row. Only the target values and that transaction id are staged, and each statement
   *     writes only rows that pass. Null when a count falls short (the caller rolls back): a
   *     conflict, or a false alarm that comparing values clears. No savepoint: rows written under
   *     one would carry its xid, and fail this check when rolled back later.
   */
  private ApplyResult applyInTransaction(
      RollbackPlan plan,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress,
      Map<Action, Integer> applied,
      boolean lean)
      throws SQLException {
    String txId = begin(plan, operator, reason);
    List<ApplyResult.Conflict> moved = checkSettled(plan);
    if (!moved.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, moved, true, plan.warnings());
      }
      if (policy == ConflictPolicy.OVERWRITE) {
        plan = plan.withChanges(overwriting(plan, moved));
      }
    }
    long total = plan.changes().size();
    boolean dependents = plan.changes().stream().anyMatch(c -> !c.dependents().isEmpty());
    List<String> warnings = new ArrayList<>(plan.warnings());
    List<ApplyResult.Conflict> conflicts = new ArrayList<>();
    Map<TableId, PgTableWork> work = stage(plan.changesByTable(), lean, policy, progress, warnings);
    List<ApplyResult.Conflict> lossy = new ArrayList<>();
    for (PgTableWork w : work.values()) {
      lossy.addAll(w.checks.lossyCells());
    }
    if (!lossy.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, lossy, true, warnings);
      }
      for (PgTableWork w : work.values()) {
        w.checks.keepLossyCellsLive(); // neither skip nor overwrite can put such a value back
      }
    }
    List<PgSteps.Step> ordered = PgSteps.of(connection, work);
    if ((policy == ConflictPolicy.ABORT || policy == ConflictPolicy.SKIP) && !dependents) {
      if (writeChecked(ordered, applied, !lean)) {
        progress.update("applied", total, total);
        List<ApplyResult.Conflict> kept = new ArrayList<>(lossy);
        kept.addAll(moved);
        return new ApplyResult(plan.id(), txId, applied, kept, false, warnings);
      }
      if (lean) {
        return null;
      }
      applied.replaceAll((a, count) -> 0);
    }
    for (PgTableWork w : work.values()) {
      w.checks.lockRows();
      conflicts.addAll(w.checks.conflicts());
    }
    if (!conflicts.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, conflicts, true, warnings);
      }
      if (policy == ConflictPolicy.SKIP) {
        for (PgTableWork w : work.values()) {
          w.checks.dropConflicting(conflicts);
        }
      }
    }
    for (PgSteps.Step step : ordered) {
      applied.merge(step.action(), step.write(false), Integer::sum);
    }
    progress.update("applied", total, total);
    conflicts.addAll(lossy);
    conflicts.addAll(moved);
    return new ApplyResult(plan.id(), txId, applied, conflicts, false, warnings);
  }

  /** Each table's rows in a temporary table: lean (target values and xid) or whole. */
  private Map<TableId, PgTableWork> stage(
      Map<TableId, List<RowChange>> byTable,
      boolean lean,
      ConflictPolicy policy,
      Progress progress,
      List<String> warnings)
      throws SQLException {
    Map<TableId, PgTableWork> work = new LinkedHashMap<>();
    long loaded = 0;
    long total = byTable.values().stream().mapToLong(List::size).sum();
    int n = 0;
    for (Map.Entry<TableId, List<RowChange>> e : byTable.entrySet()) {
      PgTableWork w = new PgTableWork(connection, e.getKey(), "rg_plan_" + n++, policy, lean);
      w.plan(e.getValue());
      w.describeLiveTable(warnings);
      w.load(progress, loaded, total);
      loaded += w.rows.size();
      work.put(e.getKey(), w);
    }
    return work;
  }

  /**
   * Writes every table's rows, each statement only where the live row is what the journal says is
   * current. True when every row was written: nothing conflicted. Otherwise false, and with {@code
   * savepoint} the writes are undone, for the locking check to find and name the conflicts.
   */
  boolean writeChecked(List<PgSteps.Step> ordered, Map<Action, Integer> applied, boolean savepoint)
      throws SQLException {
    try (Statement s = connection.createStatement()) {
      if (savepoint) {
        s.execute("SAVEPOINT rg_checked");
      }
      boolean clean = true;
      for (int i = 0; i < ordered.size() && clean; i++) {
        PgSteps.Step step = ordered.get(i);
        int written = step.write(true);
        applied.merge(step.action(), written, Integer::sum);
        clean = written == step.work().expected.get(step.action());
      }
      if (savepoint) {
        s.execute(clean ? "RELEASE SAVEPOINT rg_checked" : "ROLLBACK TO SAVEPOINT rg_checked");
      }
      return clean;
    }
  }

  /**
   * The rows the plan found at their target already, checked against the live database like every
   * other row (by value) and locked until the transaction ends: one that a write moved since the
   * journal's last version is a conflict.
   */
  private List<ApplyResult.Conflict> checkSettled(RollbackPlan plan) throws SQLException {
    Map<TableId, List<RowChange>> byTable = plan.settledByTable();
    List<ApplyResult.Conflict> out = new ArrayList<>();
    int n = 0;
    for (Map.Entry<TableId, List<RowChange>> e : byTable.entrySet()) {
      PgTableWork w =
          new PgTableWork(connection, e.getKey(), "rg_settled_" + n++, ConflictPolicy.ABORT, false);
      w.plan(e.getValue());
      w.describeLiveTable(new ArrayList<>());
      w.load(Progress.NONE, 0, e.getValue().size());
      w.checks.lockRows();
      for (ApplyResult.Conflict c : w.checks.conflicts()) {
        out.add(
            new ApplyResult.Conflict(
                c.table(), c.key(), "was at its target state when planned, but the " + c.reason()));
      }
    }
    return out;
  }

  /** {@link #checkSettled} in a transaction of its own that writes nothing. */
  private List<ApplyResult.Conflict> settledOnly(RollbackPlan plan) {
    if (plan.settled().isEmpty()) {
      return List.of();
    }
    try {
      connection.setAutoCommit(false);
      try {
        return checkSettled(plan);
      } finally {
        connection.rollback();
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw PgErrors.describe(e);
    }
  }

  /** Settled rows a write moved, as rows to put back to their target whatever they hold. */
  private static List<RowChange> overwriting(RollbackPlan plan, List<ApplyResult.Conflict> moved) {
    Set<String> keys = new HashSet<>();
    moved.forEach(c -> keys.add(c.table() + "\u0000" + c.key()));
    List<RowChange> out = new ArrayList<>();
    for (RowChange c : plan.settled()) {
      if (keys.contains(c.table() + "\u0000" + c.key())) {
        List<String> all = c.target().schema().columns().stream().map(Column::name).toList();
        out.add(
            new RowChange(
                c.table(), c.key(), c.current(), c.target(), all, List.of(), c.currentTx()));
      }
    }
    return out;
  }

  void markTransaction(RollbackPlan plan, String operator, String reason) throws SQLException {
    String json = PlanApplier.mark(plan, operator, reason);
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT pg_logical_emit_message(true, 'rowguard', ?)")) {
      ps.setString(1, json);
      ps.execute();
    }
  }
}
