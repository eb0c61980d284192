package io.rowguard.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.Column;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.internal.PgText;
import io.rowguard.replay.internal.RowSql;
import io.rowguard.replay.internal.mysql.MySqlApplier;
import io.rowguard.replay.internal.mysql.MySqlValues;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
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
public final class PlanApplier {
  /** Reports progress of long work: a phase, done so far, total (negative when not known yet). */
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  private static final Logger LOG = LoggerFactory.getLogger(PlanApplier.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int COPY_CHUNK = 10_000;

  /** A chunk is sent sooner when its text passes this: wide rows with large values stay small. */
  private static final int COPY_CHUNK_CHARS = 4 << 20;

  /**
   * Up to this many distinct sets of columns to write, a table is updated by one plain UPDATE each.
   */
  private static final int MAX_WRITE_PATTERNS = 4;

  /** From this share of a table's rows on, a plan's joins hash the table ({@code bulk}). */
  private static final double BULK_SHARE = 0.2;

  private final Connection connection;

  /** The MySQL/MariaDB applier when the connection is to one; null for PostgreSQL. */
  private final MySqlApplier binlog;

  /** The caller owns the connection; it is left in auto-commit mode afterwards. */
  public PlanApplier(Connection connection) {
    this.connection = connection;
    this.binlog =
        SqlDialect.of(connection) == SqlDialect.MYSQL ? new MySqlApplier(connection) : null;
  }

  public ApplyResult apply(
      RollbackPlan plan, ConflictPolicy policy, String operator, String reason, Progress progress) {
    if (binlog != null) {
      return binlog.apply(plan, policy, mark(plan, operator, reason), progress::update);
    }
    return apply(plan, policy, operator, reason, progress, true);
  }

  /** A plan, and what applying it did. */
  public record Outcome(RollbackPlan plan, ApplyResult result) {}

  /**
   * Plans the rollback of a whole table and applies it: what {@link Planner#rollbackTable(TableId,
   * PointInTime)} and then {@link #apply} do, but with {@link ConflictPolicy#ABORT} the lean
   * write's rows are staged while the planner still reads the journal, and the database parses them
   * meanwhile. A row that changed again later in the journal is staged again once the plan is done.
   * The database is written only after the plan is complete, checked as by {@link #apply}.
   */
  public Outcome rollbackTable(
      Planner planner,
      TableId table,
      PointInTime point,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress) {
    if (policy != ConflictPolicy.ABORT || binlog != null) {
      RollbackPlan plan = planner.rollbackTable(table, point);
      return new Outcome(plan, apply(plan, policy, operator, reason, progress));
    }
    TableWork w = new TableWork(table, "rg_plan_0", ConflictPolicy.ABORT, true);
    try {
      // the plan is not known yet: whatever it needs of the table
      Privileges.check(connection, Map.of(table, EnumSet.allOf(Action.class)));
      // a table with its own trigger is compared by value; a table gone is reported by apply
      w.readLiveTable();
      if (w.live.isEmpty() || userTriggers(Set.of(table))) {
        RollbackPlan plan = planner.rollbackTable(table, point);
        return new Outcome(plan, apply(plan, policy, operator, reason, progress));
      }
    } catch (SQLException e) {
      throw describe(e);
    }
    w.allLiveColumns();
    RollbackPlan plan = null;
    boolean tryLean = true;
    RuntimeException failure = null;
    EarlyStage stage = null;
    try {
      connection.setAutoCommit(false);
      stage = new EarlyStage(w, startTransaction(), progress);
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
      failure = describe(e);
    } catch (RuntimeException e) {
      failure = e; // the planner's: the time, the journal
    } finally {
      failure = endStage(stage, failure);
    }
    if (failure != null) {
      throw failure;
    }
    return new Outcome(plan, apply(plan, policy, operator, reason, progress, tryLean));
  }

  /**
   * Abandons what is left of a stage and its transaction, and gives the connection back in
   * auto-commit mode; a failure to do so is added to {@code failure}, or becomes it.
   */
  private RuntimeException endStage(EarlyStage stage, RuntimeException failure) {
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
        return describe(e);
      }
      failure.addSuppressed(e);
    }
    return failure;
  }

  /**
   * A whole-table plan's rows staged for the lean write while the planner still reads, in one COPY
   * the database parses meanwhile. A row revised by the plan's end is deleted from the stage and
   * staged again. A failure turns the stage off; the plan is then applied the usual way.
   */
  private final class EarlyStage implements Planner.EarlyRows {
    private final TableWork work;
    private final String txId;
    private final Progress progress;
    private final List<Integer> stale = new ArrayList<>();
    private int staged;
    private boolean opened;
    private boolean off;

    /** The lean write ran (and fell short): no need to try it again unstreamed. */
    boolean written;

    EarlyStage(TableWork work, String txId, Progress progress) {
      this.work = work;
      this.txId = txId;
      this.progress = progress;
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
        if (++staged % COPY_CHUNK == 0) {
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
      if (userTriggers(Set.of(work.table)) || work.liveTableChanged()) {
        return null;
      }
      if (!plan.settled().isEmpty()) {
        return null; // rows found at their target are checked by the comparing path
      }
      progress.update("loading the plan", total, total);
      work.plan(plan.changes());
      if (!work.lossyCells().isEmpty()) {
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
      markTransaction(plan, operator, reason);
      Map<Action, Integer> applied = new EnumMap<>(Action.class);
      for (Action a : Action.values()) {
        applied.put(a, 0);
      }
      written = true;
      if (!writeChecked(steps(Map.of(work.table, work)), applied, false)) {
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

  private ApplyResult apply(
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
      Privileges.check(connection, Privileges.of(plan));
    } catch (SQLException e) {
      throw describe(e);
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
      throw describe(e);
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

  private boolean userTriggers(Set<TableId> ids) throws SQLException {
    List<String> tables = ids.stream().map(TableId::quoted).toList();
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
  private String startTransaction() throws SQLException {
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

  private static Map<TableId, List<RowChange>> byTable(RollbackPlan plan) {
    if (plan.changes() instanceof ReadBack rows) {
      // one table's rows, read back as they are staged
      return rows.isEmpty() ? Map.of() : Map.of(rows.table(), rows);
    }
    Map<TableId, List<RowChange>> byTable = new LinkedHashMap<>();
    for (RowChange c : plan.changes()) {
      byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
    }
    return byTable;
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
    Map<TableId, TableWork> work = stage(byTable(plan), lean, policy, progress, warnings);
    List<ApplyResult.Conflict> lossy = new ArrayList<>();
    for (TableWork w : work.values()) {
      lossy.addAll(w.lossyCells());
    }
    if (!lossy.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, lossy, true, warnings);
      }
      for (TableWork w : work.values()) {
        w.keepLossyCellsLive(); // neither skip nor overwrite can put such a value back
      }
    }
    List<Step> ordered = steps(work);
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
    for (TableWork w : work.values()) {
      w.lockRows();
      conflicts.addAll(w.conflicts());
    }
    if (!conflicts.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, conflicts, true, warnings);
      }
      if (policy == ConflictPolicy.SKIP) {
        for (TableWork w : work.values()) {
          w.dropConflicting(conflicts);
        }
      }
    }
    for (Step step : ordered) {
      applied.merge(step.action(), step.write(false), Integer::sum);
    }
    progress.update("applied", total, total);
    conflicts.addAll(lossy);
    conflicts.addAll(moved);
    return new ApplyResult(plan.id(), txId, applied, conflicts, false, warnings);
  }

  /** Each table's rows in a temporary table: lean (target values and xid) or whole. */
  private Map<TableId, TableWork> stage(
      Map<TableId, List<RowChange>> byTable,
      boolean lean,
      ConflictPolicy policy,
      Progress progress,
      List<String> warnings)
      throws SQLException {
    Map<TableId, TableWork> work = new LinkedHashMap<>();
    long loaded = 0;
    long total = byTable.values().stream().mapToLong(List::size).sum();
    int n = 0;
    for (Map.Entry<TableId, List<RowChange>> e : byTable.entrySet()) {
      TableWork w = new TableWork(e.getKey(), "rg_plan_" + n++, policy, lean);
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
  private boolean writeChecked(List<Step> ordered, Map<Action, Integer> applied, boolean savepoint)
      throws SQLException {
    try (Statement s = connection.createStatement()) {
      if (savepoint) {
        s.execute("SAVEPOINT rg_checked");
      }
      boolean clean = true;
      for (int i = 0; i < ordered.size() && clean; i++) {
        Step step = ordered.get(i);
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
    Map<TableId, List<RowChange>> byTable = new LinkedHashMap<>();
    if (plan.settled() instanceof ReadBack rows) {
      if (!rows.isEmpty()) {
        byTable.put(rows.table(), rows);
      }
    } else {
      for (RowChange c : plan.settled()) {
        byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
      }
    }
    List<ApplyResult.Conflict> out = new ArrayList<>();
    int n = 0;
    for (Map.Entry<TableId, List<RowChange>> e : byTable.entrySet()) {
      TableWork w = new TableWork(e.getKey(), "rg_settled_" + n++, ConflictPolicy.ABORT, false);
      w.plan(e.getValue());
      w.describeLiveTable(new ArrayList<>());
      w.load(Progress.NONE, 0, e.getValue().size());
      w.lockRows();
      for (ApplyResult.Conflict c : w.conflicts()) {
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
      throw describe(e);
    }
  }

  /** Settled rows a write moved, as rows to put back to their target whatever they hold. */
  private static List<RowChange> overwriting(RollbackPlan plan, List<ApplyResult.Conflict> moved) {
    java.util.Set<String> keys = new java.util.HashSet<>();
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

  private void markTransaction(RollbackPlan plan, String operator, String reason)
      throws SQLException {
    String json = mark(plan, operator, reason);
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT pg_logical_emit_message(true, 'rowguard', ?)")) {
      ps.setString(1, json);
      ps.execute();
    }
  }

  /**
   * What a rollback's writes say of themselves, as JSON: who, why, which plan, what it undoes. It
   * is the rollback's tag in the journal (a logical message on PostgreSQL, a statement comment on
   * MySQL and MariaDB).
   */
  public static String mark(RollbackPlan plan, String operator, String reason) {
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("actor", operator);
    message.put("reason", reason);
    message.put("rollback", plan.id());
    message.put("description", plan.description());
    message.put("undoes", plan.undone().stream().map(UndoneTransaction::txId).distinct().toList());
    try {
      return JSON.writeValueAsString(message);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One table's part of the plan, staged in a temporary table. */
  private final class TableWork {
    final TableId table;
    List<RowChange> rows = List.of();
    final String temp;
    List<String> keyColumns;
    final List<String> columns = new ArrayList<>();
    final Map<String, String> types = new HashMap<>();
    final Set<String> writable = new LinkedHashSet<>();
    final Map<Action, Integer> expected = new EnumMap<>(Action.class);
    final Map<TableSchema, int[]> positions = new IdentityHashMap<>();

    /** The distinct sets of columns written (w_cols) by rows that have a target. */
    final Set<String> writePatterns = new LinkedHashSet<>();

    private String lastTx;
    private String lastXid;
    private List<String> lastChanged;
    private int[] lastCur;
    private int[] lastTgt;
    private String lastWrites;

    final ConflictPolicy policy;

    /**
     * Staged for the lean check only: the journal's current state is represented by the xid that
     * wrote it, and of the target only the values to write.
     */
    final boolean lean;

    boolean identityAlways;

    /** The live table's columns and their types, in its order; generated ones; its row estimate. */
    final Map<String, String> live = new LinkedHashMap<>();

    final Set<String> generated = new HashSet<>();
    double tuples = -1;

    /**
     * Live columns whose type has a modifier (varchar(5), numeric(10,1), timestamp(0)), with the
     * type without it: a cast to such a type can cut or round a value without an error.
     */
    final Map<String, String> narrowable = new HashMap<>();

    /** The live columns' type modifiers (atttypmod; -1 when none). */
    final Map<String, Integer> typmods = new HashMap<>();

    /** The live columns by number (attnum): a column renamed since keeps its number. */
    final Map<Integer, String> numbered = new HashMap<>();

    /**
     * The live column an image's column is now: the one with its number when capture recorded it
     * (renamed or not; a column dropped and added again under the name is another column), else the
     * one with its name; null when it is gone.
     */
    String liveName(Column c) {
      int number = c.number();
      if (number > 0) {
        return numbered.get(number);
      }
      return live.containsKey(c.name()) ? c.name() : null;
    }

    /** The live columns that the plan's images have. */
    final Set<String> imaged = new HashSet<>();

    /** The COPY into the temporary table while it is open, its text and its encoding. */
    private CopyIn copy;

    private final StringBuilder buf = new StringBuilder();
    private CharsetEncoder utf8;
    private ByteBuffer bytes;
    private int inChunk;

    TableWork(TableId table, String temp, ConflictPolicy policy, boolean lean) {
      this.table = table;
      this.temp = temp;
      this.policy = policy;
      this.lean = lean;
    }

    /** The plan's rows of this table. */
    void plan(List<RowChange> rows) {
      this.rows = rows;
      if (keyColumns == null) {
        keyColumns = rows.get(0).schema().keyColumns();
      }
      for (Action a : Action.values()) {
        expected.put(a, 0);
      }
      for (RowChange c : rows) {
        expected.merge(c.action(), 1, Integer::sum);
      }
    }

    /**
     * The plan writes a large share of the table: its joins hash the whole table rather than probe
     * the key index once per row. PostgreSQL can't know it: the temporary table has no statistics.
     */
    boolean bulk() {
      return tuples > 0 && rows.size() >= BULK_SHARE * tuples; // -1: never counted
    }

    void describeLiveTable(List<String> warnings) throws SQLException {
      readLiveTable();
      imageColumns(warnings);
    }

    /** The live table as the catalog has it now; nothing when it is gone. */
    void readLiveTable() throws SQLException {
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',"
                  + " a.attidentity = 'a', c.reltuples, CASE WHEN a.atttypmod >= 0 THEN"
                  + " format_type(a.atttypid, NULL) END, a.attnum, a.atttypmod FROM pg_attribute a"
                  + " JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = to_regclass(?)"
                  + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
        ps.setString(1, table.quoted());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            live.put(rs.getString(1), rs.getString(2));
            if (rs.getBoolean(3)) {
              generated.add(rs.getString(1));
            }
            identityAlways |= rs.getBoolean(4);
            tuples = rs.getDouble(5);
            if (rs.getString(6) != null) {
              // without a modifier, character is character(1) and bit is bit(1): not the type
              // without limits
              String base =
                  switch (rs.getString(6)) {
                    case "character" -> "bpchar";
                    case "bit" -> "varbit";
                    default -> rs.getString(6);
                  };
              narrowable.put(rs.getString(1), base);
            }
            numbered.put(rs.getInt(7), rs.getString(1));
            typmods.put(rs.getString(1), rs.getInt(8));
          }
        }
      }
    }

    /** Whether the live table's columns, their types or kinds differ from what was read. */
    boolean liveTableChanged() throws SQLException {
      TableWork now = new TableWork(table, temp, policy, lean);
      now.readLiveTable();
      return !now.live.equals(live)
          || !now.generated.equals(generated)
          || now.identityAlways != identityAlways;
    }

    /** Notes the set of columns a row writes, as staging it does. */
    void notePattern(RowChange c) {
      if (c.target() != null) {
        int[] cur = c.current() == null ? null : positions(c.current().schema());
        writePatterns.add(writes(c, cur, positions(c.target().schema())));
      }
    }

    /** Every live column is one of the plan's, whether or not its images have it. */
    void allLiveColumns() {
      for (Map.Entry<String, String> e : live.entrySet()) {
        if (!types.containsKey(e.getKey())) {
          columns.add(e.getKey());
          types.put(e.getKey(), e.getValue());
          if (!generated.contains(e.getKey())) {
            writable.add(e.getKey());
          }
        }
      }
    }

    /**
     * The plan's columns: those of its images the live table still has. The ones it no longer has
     * are warned about, with the number of rows whose earlier values they hold.
     */
    void imageColumns(List<String> warnings) {
      if (live.isEmpty()) {
        throw new ReplayException("table " + table + " no longer exists in the database");
      }
      for (String k : keyColumns) {
        if (!live.containsKey(k)) {
          throw new ReplayException(
              "key column " + k + " of " + table + " no longer exists; rows cannot be matched");
        }
      }
      // per image schema (a handful per table): its live columns join the plan's, its dropped
      // ones are remembered; per row, only a target's dropped columns are looked at
      Map<TableSchema, List<String>> dropped = new IdentityHashMap<>();
      Map<String, Integer> lost = new TreeMap<>();
      TableSchema seen = null; // the rows of a plan nearly all share one schema
      for (RowChange c : rows) {
        if (c.current() != null && c.current().schema() != seen) {
          dropped.computeIfAbsent(c.current().schema(), this::liveColumns);
        }
        Row target = c.target();
        if (target == null) {
          continue;
        }
        if (target.schema() != seen) {
          seen = target.schema();
          dropped.computeIfAbsent(seen, this::liveColumns);
        }
        for (String col : dropped.get(seen)) {
          if (target.get(seen.indexOf(col)) != null) {
            lost.merge(col, 1, Integer::sum); // an earlier value that has nowhere to go
          }
        }
      }
      lost.forEach(
          (col, count) ->
              warnings.add(
                  "column "
                      + col
                      + " of "
                      + table
                      + " was dropped since: its earlier values in "
                      + count
                      + " row(s) cannot be restored"));
    }

    /** Adds a schema's live columns to the plan's; returns its columns that are gone. */
    private List<String> liveColumns(TableSchema schema) {
      List<String> gone = new ArrayList<>();
      for (Column column : schema.columns()) {
        String col = liveName(column);
        if (col == null) {
          gone.add(column.name());
          continue;
        }
        imaged.add(col);
        if (!types.containsKey(col)) {
          columns.add(col);
          types.put(col, live.get(col));
          if (!generated.contains(col)) {
            writable.add(col);
          }
        }
      }
      return gone;
    }

    /** For each of the plan's columns, its index in an image's schema, or -1. */
    private int[] positions(TableSchema schema) {
      int[] at = positions.get(schema);
      if (at == null) {
        Map<String, Integer> byLiveName = new HashMap<>();
        for (int j = 0; j < schema.size(); j++) {
          String name = liveName(schema.column(j));
          if (name != null) {
            byLiveName.put(name, j);
          }
        }
        at = new int[columns.size()];
        for (int i = 0; i < at.length; i++) {
          at[i] = byLiveName.getOrDefault(columns.get(i), -1);
        }
        positions.put(schema, at);
      }
      return at;
    }

    void load(Progress progress, long before, long total) throws SQLException {
      openCopy();
      try {
        for (int r = 0; r < rows.size(); r++) {
          stage(r, rows.get(r));
          if (inChunk == 0 || r == rows.size() - 1) {
            progress.update("loading the plan", before + r + 1, total);
          }
        }
        closeCopy();
      } finally {
        abandonCopy();
      }
    }

    /** Creates the temporary table and opens the COPY into it. */
    void openCopy() throws SQLException {
      StringBuilder ddl =
          new StringBuilder("CREATE TEMP TABLE ")
              .append(temp)
              .append(
                  lean
                      ? " (ord int, tgt_present boolean, tgt_cols text, w_cols text, cur_xid xid"
                      : " (ord int, cur_present boolean, tgt_present boolean, cur_cols text,"
                          + " tgt_cols text, w_cols text");
      for (int i = 0; i < keyColumns.size(); i++) {
        ddl.append(", k").append(i).append(" text");
      }
      for (int i = 0; i < columns.size(); i++) {
        ddl.append(lean ? "" : ", c" + i + " text").append(", t").append(i).append(" text");
      }
      ddl.append(") ON COMMIT DROP");
      try (Statement s = connection.createStatement()) {
        s.execute(ddl.toString());
      }
      // one COPY, streamed in chunks: the server parses one while the next is built. Each chunk
      // is encoded into one reused buffer: no String and byte array per chunk for the collector
      // to meet while the plan is held
      copy =
          connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + temp + " FROM STDIN");
      utf8 =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPLACE) // as String.getBytes does
              .onUnmappableCharacter(CodingErrorAction.REPLACE);
      bytes = ByteBuffer.allocate(1 << 20);
    }

    /** One row into the open COPY, as row {@code ord}; sent with every {@link #COPY_CHUNK}th. */
    void stage(int ord, RowChange c) throws SQLException {
      appendCopyLine(buf, ord, c);
      if (++inChunk == COPY_CHUNK || buf.length() >= COPY_CHUNK_CHARS) {
        sendChunk();
      }
    }

    private void sendChunk() throws SQLException {
      CharBuffer chars = CharBuffer.wrap(buf);
      utf8.reset();
      while (utf8.encode(chars, bytes, true).isOverflow()) {
        copy.writeToCopy(bytes.array(), 0, bytes.position());
        bytes.clear();
      }
      utf8.flush(bytes);
      copy.writeToCopy(bytes.array(), 0, bytes.position());
      bytes.clear();
      buf.setLength(0);
      inChunk = 0;
    }

    void closeCopy() throws SQLException {
      if (inChunk > 0) {
        sendChunk();
      }
      copy.endCopy();
      copy = null;
      bytes = null;
    }

    /** Cancels a COPY still open (after a failure); the transaction is then to be rolled back. */
    void abandonCopy() {
      if (copy != null && copy.isActive()) {
        try {
          copy.cancelCopy();
        } catch (SQLException e) {
          LOG.debug("Cancelling the COPY of the plan failed", e);
        }
      }
      copy = null;
      bytes = null;
      buf.setLength(0);
      inChunk = 0;
    }

    private void appendCopyLine(StringBuilder buf, int r, RowChange c) {
      Row current = c.current();
      Row target = c.target();
      int[] cur = current == null ? null : positions(current.schema());
      int[] tgt = target == null ? null : positions(target.schema());
      buf.append(r).append('\t');
      if (!lean) {
        buf.append(current != null ? 't' : 'f').append('\t');
      }
      buf.append(target != null ? 't' : 'f').append('\t');
      if (!lean) {
        appendPresence(buf, cur).append('\t');
      }
      appendPresence(buf, tgt).append('\t');
      String writes = writes(c, cur, tgt);
      buf.append(writes);
      if (target != null) {
        writePatterns.add(writes);
      }
      if (lean) {
        buf.append('\t').append(current != null ? xid(c.currentTx()) : "\\N");
      }
      Row keyImage = current != null ? current : target;
      for (String k : keyColumns) {
        int i = keyImage.schema().indexOf(k);
        buf.append('\t');
        appendCopyField(buf, PgText.of(keyImage.get(i), keyImage.schema().column(i).schema()));
      }
      for (int i = 0; i < columns.size(); i++) {
        if (!lean) {
          buf.append('\t');
          appendCopyField(buf, text(current, cur, i));
        }
        buf.append('\t');
        // whole: even where the update leaves a column alone, for a row that went away meanwhile
        // (a cascade of this very plan's deletes) is inserted again from it; lean: what is written
        appendCopyField(buf, lean && writes.charAt(i) != '1' ? null : text(target, tgt, i));
      }
      buf.append('\n');
    }

    /** A journaled transaction id as a PostgreSQL xid; NULL (never equal) when it is not one. */
    private String xid(String txId) {
      if (!txId.equals(lastTx)) { // a mass write's rows share one
        lastTx = txId;
        lastXid = parseXid(txId);
      }
      return lastXid;
    }

    private static String parseXid(String txId) {
      try {
        long x = Long.parseLong(txId);
        return x >= 0 && x <= 0xFFFF_FFFFL ? txId : "\\N";
      } catch (NumberFormatException e) {
        return "\\N";
      }
    }

    /**
     * The columns to write: for a row that will only be written while it is the journal's current
     * state, the ones that change; when it is inserted or overwritten whatever it holds, all the
     * target has.
     */
    private String writes(RowChange c, int[] cur, int[] tgt) {
      // the rows of a mass write share their changed columns (one list) and image schemas
      if (c.changedColumns() == lastChanged && cur == lastCur && tgt == lastTgt) {
        return lastWrites;
      }
      lastChanged = c.changedColumns();
      lastCur = cur;
      lastTgt = tgt;
      lastWrites = computeWrites(c.changedColumns(), cur, tgt, c.target());
      return lastWrites;
    }

    private String computeWrites(List<String> changed, int[] cur, int[] tgt, Row target) {
      if (tgt == null) {
        return "0".repeat(columns.size());
      }
      boolean all = cur == null || policy == ConflictPolicy.OVERWRITE;
      StringBuilder sb = new StringBuilder(columns.size());
      for (int i = 0; i < tgt.length; i++) {
        // the changed columns are named as the target image names them (before a rename)
        boolean write =
            tgt[i] >= 0
                && (all || cur[i] < 0 || changed.contains(target.schema().column(tgt[i]).name()));
        sb.append(write ? '1' : '0');
      }
      return sb.toString();
    }

    private StringBuilder appendPresence(StringBuilder buf, int[] at) {
      for (int i = 0; i < columns.size(); i++) {
        buf.append(at != null && at[i] >= 0 ? '1' : '0');
      }
      return buf;
    }

    private static String text(Row image, int[] at, int column) {
      if (image == null || at[column] < 0) {
        return null;
      }
      int i = at[column];
      return PgText.of(image.get(i), image.schema().column(i).schema());
    }

    private String keyMatch() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < keyColumns.size(); i++) {
        String col = keyColumns.get(i);
        sb.append(i == 0 ? "" : " AND ")
            .append("t.")
            .append(TableId.quote(col))
            .append(" = p.k")
            .append(i)
            .append("::")
            .append(types.getOrDefault(col, "text"));
      }
      return sb.toString();
    }

    void lockRows() throws SQLException {
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT 1 FROM "
                      + table.quoted()
                      + " t JOIN "
                      + temp
                      + " p ON "
                      + keyMatch()
                      + " FOR UPDATE OF t")) {
        while (rs.next()) {
          // locking is the point
        }
      }
    }

    /**
     * A column's live value against the journal's current one, compared in the column type's own
     * text form, or with {@code =} for types whose equal values always print alike (for numeric
     * only with a declared scale: {@code 1.0 = 1.00}). A streamed timetz reaches the journal
     * normalised to UTC, so timetz compares as UTC.
     */
    private String differs(int i) {
      String col = columns.get(i);
      String type = types.get(col);
      String live = "t." + TableId.quote(col);
      String journaled = "p.c" + i + "::" + type;
      if (type.startsWith("time")
          && type.endsWith("with time zone")
          && !type.startsWith("timestamp")) {
        live = "(" + live + " AT TIME ZONE 'UTC')";
        journaled = "(" + journaled + " AT TIME ZONE 'UTC')";
      }
      // text compares byte for byte: under a nondeterministic collation 'Foo' = 'foo'
      String different =
          exactEquality(type)
              ? collated(type, live) + " IS DISTINCT FROM " + collated(type, journaled)
              : "("
                  + live
                  + ")::text COLLATE \"C\" IS DISTINCT FROM ("
                  + journaled
                  + ")::text COLLATE \"C\"";
      return "substr(p.cur_cols, " + (i + 1) + ", 1) = '1' AND " + different;
    }

    List<ApplyResult.Conflict> conflicts() throws SQLException {
      StringBuilder changed = new StringBuilder("array_remove(ARRAY[NULL::text");
      StringBuilder any = new StringBuilder("false");
      for (int i = 0; i < columns.size(); i++) {
        changed
            .append(", CASE WHEN ")
            .append(differs(i))
            .append(" THEN ")
            .append(PgText.literal(columns.get(i)))
            .append(" END");
        any.append(" OR (").append(differs(i)).append(")");
      }
      changed.append("], NULL)");
      String sql =
          "SELECT p.ord, CASE WHEN NOT p.cur_present THEN 'exists, but the journal has no live"
              + " row with this key: it was inserted after the journal''s last version or is"
              + " being inserted now' WHEN t.ctid IS NULL THEN 'is gone: it was deleted after the"
              + " journal''s last version' ELSE 'changed after the journal''s last version (written"
              + " since, or being written now): ' || array_to_string("
              + changed
              + ", ', ')"
              + " END FROM "
              + temp
              + " p LEFT JOIN "
              + table.quoted()
              + " t ON "
              + keyMatch()
              + " WHERE (p.cur_present AND (t.ctid IS NULL OR "
              + any
              + "))"
              + " OR (NOT p.cur_present AND t.ctid IS NOT NULL) ORDER BY p.ord";
      List<ApplyResult.Conflict> out = new ArrayList<>();
      Set<Integer> seen = new HashSet<>();
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        while (rs.next()) {
          RowChange c = rows.get(rs.getInt(1));
          seen.add(rs.getInt(1));
          out.add(new ApplyResult.Conflict(table, c.key(), "row " + rs.getString(2)));
        }
      }
      for (int r = 0; r < rows.size(); r++) {
        RowChange c = rows.get(r);
        if (!c.dependents().isEmpty() && !seen.contains(r)) {
          out.add(
              new ApplyResult.Conflict(
                  table,
                  c.key(),
                  c.conflict().isEmpty()
                      ? "row was changed later by transaction(s) "
                          + String.join(", ", c.dependents())
                          + " (--cascade backs them out too)"
                      : c.conflict()
                          + " (--on-conflict skip keeps the later work, overwrite puts the"
                          + " earlier state back)"));
        }
      }
      return out;
    }

    /**
     * The target values the live column's type would change when cast to it (a column narrowed
     * since: {@code 'renamed'} into varchar(5), {@code 1.55} into numeric(10,1)), as conflicts
     * naming each cell, its value, and what would be written instead. Never written silently.
     */
    List<ApplyResult.Conflict> lossyCells() throws SQLException {
      StringBuilder cells = new StringBuilder("array_remove(ARRAY[NULL::text");
      StringBuilder any = new StringBuilder("false");
      for (int i = 0; i < columns.size(); i++) {
        String col = columns.get(i);
        String base = narrowable.get(col);
        if (base == null || !writable.contains(col) || readFromLiveType(i)) {
          continue;
        }
        String t = "p.t" + i;
        String cut =
            "substr(p.w_cols, "
                + (i + 1)
                + ", 1) = '1' AND "
                + t
                + " IS NOT NULL AND "
                + value(i)
                + " IS DISTINCT FROM "
                + t
                + "::"
                + base;
        cells
            .append(", CASE WHEN ")
            .append(cut)
            .append(" THEN ")
            .append(PgText.literal(col + ": "))
            .append(" || ")
            .append(t)
            .append(" || ' does not fit ' || ")
            .append(PgText.literal(types.get(col)))
            .append(" || ' unchanged (it would be written as ' || (")
            .append(value(i))
            .append(")::text || ')' END");
        any.append(" OR (").append(cut).append(")");
      }
      if (any.length() == "false".length()) {
        return List.of();
      }
      cells.append("], NULL)");
      List<ApplyResult.Conflict> out = new ArrayList<>();
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT p.ord, array_to_string("
                      + cells
                      + ", '; ') FROM "
                      + temp
                      + " p WHERE "
                      + any
                      + " ORDER BY p.ord")) {
        while (rs.next()) {
          RowChange c = rows.get(rs.getInt(1));
          lossyRows.add(rs.getInt(1));
          out.add(new ApplyResult.Conflict(table, c.key(), "cell " + rs.getString(2)));
        }
      }
      return out;
    }

    private final List<Integer> lossyRows = new ArrayList<>();

    /**
     * Whether every image's values of the plan's column {@code i} were captured from a column of
     * the live type, modifier and all (numeric, varchar and char, by the length and scale Debezium
     * passes along): such values fit unchanged, and need no check.
     */
    private boolean readFromLiveType(int i) {
      String col = columns.get(i);
      int mod = typmods.getOrDefault(col, -1);
      String length;
      String scale = null;
      switch (narrowable.get(col)) {
        case "numeric" -> {
          length = Integer.toString(((mod - 4) >> 16) & 0xffff);
          scale = Integer.toString((mod - 4) & 0xffff);
        }
        case "character varying", "bpchar" -> length = Integer.toString(mod - 4);
        default -> {
          return false;
        }
      }
      for (Map.Entry<TableSchema, int[]> e : positions.entrySet()) {
        int j = e.getValue()[i];
        if (j < 0) {
          continue;
        }
        Map<String, String> p = e.getKey().column(j).schema().parameters();
        if (!length.equals(p.get(ValueSchema.SOURCE_LENGTH))
            || (scale != null && !scale.equals(p.get(ValueSchema.SOURCE_SCALE)))) {
          return false;
        }
      }
      return true;
    }

    /**
     * Keeps the live value of each cell that does not fit: an update leaves those columns as they
     * are, a row to insert is not inserted.
     */
    void keepLossyCellsLive() throws SQLException {
      if (lossyRows.isEmpty()) {
        return;
      }
      StringBuilder w = new StringBuilder("p.w_cols");
      for (int i = 0; i < columns.size(); i++) {
        String base = narrowable.get(columns.get(i));
        if (base != null && writable.contains(columns.get(i))) {
          w.insert(0, "overlay(")
              .append(" placing CASE WHEN p.t")
              .append(i)
              .append(" IS NOT NULL AND ")
              .append(value(i))
              .append(" IS DISTINCT FROM p.t")
              .append(i)
              .append("::")
              .append(base)
              .append(" THEN '0' ELSE substr(p.w_cols, ")
              .append(i + 1)
              .append(", 1) END from ")
              .append(i + 1)
              .append(" for 1)");
        }
      }
      List<Integer> inserts = new ArrayList<>();
      for (int r : lossyRows) {
        if (rows.get(r).action() == Action.INSERT) {
          inserts.add(r);
        }
      }
      try (PreparedStatement del =
              connection.prepareStatement("DELETE FROM " + temp + " WHERE ord = ANY (?)");
          PreparedStatement upd =
              connection.prepareStatement(
                  "UPDATE " + temp + " p SET w_cols = " + w + " WHERE p.ord = ANY (?)");
          Statement s = connection.createStatement()) {
        del.setArray(1, connection.createArrayOf("int4", inserts.toArray()));
        del.executeUpdate();
        upd.setArray(1, connection.createArrayOf("int4", lossyRows.toArray()));
        upd.executeUpdate();
        // an update left with nothing to write is not made at all
        s.execute(
            "DELETE FROM "
                + temp
                + " p WHERE p.tgt_present AND position('1' in p.w_cols) = 0 AND p.ord IN ("
                + lossyRows.stream()
                    .map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(","))
                + ")");
        try (ResultSet rs =
            s.executeQuery("SELECT DISTINCT w_cols FROM " + temp + " WHERE tgt_present")) {
          while (rs.next()) {
            writePatterns.add(rs.getString(1));
          }
        }
      }
    }

    void dropConflicting(List<ApplyResult.Conflict> conflicts) throws SQLException {
      List<Integer> ords = new ArrayList<>();
      Set<RowKey> keys = new HashSet<>();
      for (ApplyResult.Conflict c : conflicts) {
        if (c.table().equals(table)) {
          keys.add(c.key());
        }
      }
      for (int r = 0; r < rows.size(); r++) {
        if (keys.contains(rows.get(r).key())) {
          ords.add(r);
        }
      }
      if (ords.isEmpty()) {
        return;
      }
      try (PreparedStatement ps =
          connection.prepareStatement("DELETE FROM " + temp + " WHERE ord = ANY (?)")) {
        ps.setArray(1, connection.createArrayOf("int4", ords.toArray()));
        ps.executeUpdate();
      }
    }

    /** The live row (joined as t) is the state the journal says is current. */
    private String unchanged() {
      if (lean) {
        return "t.xmin = p.cur_xid";
      }
      StringBuilder any = new StringBuilder("p.cur_present AND NOT (false");
      for (int i = 0; i < columns.size(); i++) {
        any.append(" OR (").append(differs(i)).append(")");
      }
      return any.append(")").toString();
    }

    /**
     * @param checked only rows that are still the journal's current state
     */
    int deleteRows(boolean checked) throws SQLException {
      if (expected.get(Action.DELETE) == 0) {
        return 0;
      }
      try (Statement s = connection.createStatement()) {
        return write(
            s,
            "DELETE FROM "
                + table.quoted()
                + " t USING "
                + temp
                + " p WHERE "
                + keyMatch()
                + " AND NOT p.tgt_present"
                + (checked ? " AND " + unchanged() : ""));
      }
    }

    /**
     * @param checked only rows that are still the journal's current state
     */
    int updateRows(boolean checked) throws SQLException {
      if (expected.get(Action.UPDATE) + expected.get(Action.INSERT) == 0) {
        return 0;
      }
      List<String> settable = new ArrayList<>();
      for (String col : columns) {
        if (writable.contains(col) && !keyColumns.contains(col)) {
          settable.add(col);
        }
      }
      if (settable.isEmpty()) {
        return 0;
      }
      String where =
          " FROM "
              + temp
              + " p WHERE "
              + keyMatch()
              + " AND p.tgt_present"
              + (checked ? " AND " + unchanged() : "");
      int updated = 0;
      try (Statement s = connection.createStatement()) {
        if (writePatterns.size() > MAX_WRITE_PATTERNS) {
          // many shapes: one statement that picks per row which columns to write
          StringBuilder set = new StringBuilder();
          for (String col : settable) {
            int i = columns.indexOf(col);
            set.append(set.length() == 0 ? "" : ", ")
                .append(TableId.quote(col))
                .append(" = CASE WHEN substr(p.w_cols, ")
                .append(i + 1)
                .append(", 1) = '1' THEN ")
                .append(value(i))
                .append(" ELSE t.")
                .append(TableId.quote(col))
                .append(" END");
          }
          return write(s, "UPDATE " + table.quoted() + " t SET " + set + where);
        }
        // a few shapes (a mass write changes the same columns of every row): one plain statement
        // each
        for (String pattern : writePatterns) {
          StringBuilder set = new StringBuilder();
          for (String col : settable) {
            int i = columns.indexOf(col);
            if (pattern.charAt(i) == '1') {
              set.append(set.length() == 0 ? "" : ", ")
                  .append(TableId.quote(col))
                  .append(" = ")
                  .append(value(i));
            }
          }
          if (set.length() == 0) { // nothing to write, but the row is checked and counted
            String col = TableId.quote(settable.get(0));
            set.append(col).append(" = t.").append(col);
          }
          updated +=
              write(
                  s,
                  "UPDATE "
                      + table.quoted()
                      + " t SET "
                      + set
                      + where
                      + " AND p.w_cols = "
                      + PgText.literal(pattern));
        }
      }
      return updated;
    }

    /** Runs one of the plan's writes, with hash joins when the plan is {@code bulk}. */
    private int write(Statement s, String sql) throws SQLException {
      if (!bulk()) {
        return s.executeUpdate(sql);
      }
      s.execute("SET LOCAL enable_nestloop = off");
      int written = s.executeUpdate(sql);
      s.execute("SET LOCAL enable_nestloop = on"); // after a failure the transaction is gone
      return written;
    }

    /** The target value of the plan's column i, in the column's type. */
    private String value(int i) {
      return "p.t" + i + "::" + types.get(columns.get(i));
    }

    /**
     * Inserts the target rows that are not there. Checked writes ({@code anyMissing} false) only
     * look when the plan has inserts: a row the plan updates that went away makes the update's
     * count fall short instead. After the locking check, a row can also have gone because of the
     * plan's own deletes (a cascade, a trigger); it is inserted again whole.
     */
    int insertRows(boolean anyMissing) throws SQLException {
      if (!anyMissing && expected.get(Action.INSERT) == 0) {
        return 0;
      }
      List<String> patterns = new ArrayList<>();
      String missing =
          // lean rows carry only the columns to write: only rows the journal has absent are
          // inserted from them, never a row that went away meanwhile
          (lean ? "p.tgt_present AND p.cur_xid IS NULL" : "p.tgt_present")
              + " AND NOT EXISTS (SELECT 1 FROM "
              + table.quoted()
              + " t WHERE "
              + keyMatch()
              + ")";
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT DISTINCT tgt_cols FROM " + temp + " p WHERE " + missing)) {
        while (rs.next()) {
          patterns.add(rs.getString(1));
        }
      }
      int inserted = 0;
      for (String pattern : patterns) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
          String col = columns.get(i);
          if (pattern.charAt(i) == '1' && writable.contains(col)) {
            names.add(TableId.quote(col));
            values.add("p.t" + i + "::" + types.get(col));
          }
        }
        try (PreparedStatement ps =
            connection.prepareStatement(
                "INSERT INTO "
                    + table.quoted()
                    + " ("
                    + String.join(", ", names)
                    + ")"
                    + (identityAlways ? " OVERRIDING SYSTEM VALUE" : "")
                    + " SELECT "
                    + String.join(", ", values)
                    + " FROM "
                    + temp
                    + " p WHERE "
                    + missing
                    + " AND p.tgt_cols = ?")) {
          ps.setString(1, pattern);
          inserted += ps.executeUpdate();
        }
      }
      return inserted;
    }
  }

  private static String collated(String type, String expression) {
    return type.equals("text") || type.startsWith("character varying")
        ? expression + " COLLATE \"C\""
        : expression;
  }

  /**
   * True for types where {@code a = b} exactly when their text forms are equal (text under a
   * deterministic collation: it is compared with {@code COLLATE "C"}).
   */
  static boolean exactEquality(String type) {
    return switch (type) {
      case "smallint",
          "integer",
          "bigint",
          "boolean",
          "text",
          "character varying",
          "uuid",
          "date",
          "bytea" ->
          true;
      default ->
          type.startsWith("character varying(")
              || type.startsWith("numeric(")
              || (type.startsWith("timestamp")
                  && (type.endsWith(" with time zone") || type.endsWith(" without time zone")));
    };
  }

  /** Parents before children: inserts in this order, deletes in reverse. */
  /** One statement of the write: one action on one table. */
  private record Step(TableWork work, Action action) {
    /** Writes the rows; {@code checked}: only rows still at the journal's version. */
    int write(boolean checked) throws SQLException {
      return switch (action) {
        case DELETE -> work.deleteRows(checked);
        case UPDATE -> work.updateRows(checked);
        case INSERT -> work.insertRows(!checked);
      };
    }
  }

  /**
   * The order of the writes, so that no foreign key is violated on the way ({@link WriteOrder}).
   */
  private List<Step> steps(Map<TableId, TableWork> work) throws SQLException {
    List<Step> steps = new ArrayList<>();
    for (WriteOrder.Step<TableWork> s :
        WriteOrder.steps(foreignKeys(work), w -> w.expected.get(Action.UPDATE) > 0)) {
      steps.add(new Step(s.table(), s.action()));
    }
    return steps;
  }

  /** Each table's referenced tables in the plan, itself included where it references itself. */
  private Map<TableWork, Set<TableWork>> foreignKeys(Map<TableId, TableWork> work)
      throws SQLException {
    Map<TableWork, Set<TableWork>> parents = WriteOrder.noParents(work.values());
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT quote_ident(cn.nspname) || '.' || quote_ident(c.relname),"
                    + " quote_ident(pn.nspname) || '.' || quote_ident(p.relname)"
                    + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                    + " JOIN pg_namespace cn ON cn.oid = c.relnamespace"
                    + " JOIN pg_class p ON p.oid = k.confrelid"
                    + " JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE k.contype = 'f'");
        ResultSet rs = ps.executeQuery()) {
      Map<String, TableWork> byIdent = new HashMap<>();
      for (TableWork w : work.values()) {
        byIdent.put(ident(w.table), w);
      }
      while (rs.next()) {
        TableWork child = byIdent.get(rs.getString(1));
        TableWork parent = byIdent.get(rs.getString(2));
        if (child != null && parent != null) {
          parents.get(child).add(parent);
        }
      }
    }
    return parents;
  }

  private String ident(TableId t) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT quote_ident(?) || '.' || quote_ident(?)")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /**
   * A value in COPY's text format: NULL as {@code \N}; backslash, newline, return and tab escaped.
   */
  private static void appendCopyField(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("\\N");
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
  }

  private static ReplayException describe(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String detail = "";
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      var m = p.getServerErrorMessage();
      detail = m.getDetail() == null ? "" : " (" + m.getDetail() + ")";
      String kind =
          switch (state) {
            case "23503" -> "foreign key constraint ";
            case "23505" -> "unique constraint ";
            default -> null;
          };
      if (kind != null) {
        return new ReplayException(
            kind
                + m.getConstraint()
                + " on "
                + m.getSchema()
                + "."
                + m.getTable()
                + " blocks the plan"
                + detail
                + "; nothing was written"
                + (state.equals("23503")
                    ? ". A row outside the plan refers to a row it removes (add that row or table"
                        + " to the plan), or the plan's rows refer to each other in a cycle that"
                        + " only a deferrable constraint lets be written in one go (ALTER TABLE "
                        + m.getSchema()
                        + "."
                        + m.getTable()
                        + " ALTER CONSTRAINT "
                        + m.getConstraint()
                        + " DEFERRABLE; rowguard defers every deferrable constraint)"
                    : ""),
            e);
      }
    }
    String first = e.getMessage() == null ? state : e.getMessage().split("\n")[0];
    return new ReplayException(
        "applying the plan failed: " + first + detail + "; nothing was written", e);
  }

  /** For callers that show a row's SQL: the statement that puts one row to its target state. */
  public static String sqlFor(RowChange c, SqlDialect dialect) {
    return dialect == SqlDialect.MYSQL
        ? RowSql.sqlFor(c, MySqlApplier.quote(c.table()), MySqlApplier::quote, MySqlValues::literal)
        : sqlFor(c);
  }

  /** {@link #sqlFor(RowChange, SqlDialect)} in PostgreSQL's SQL. */
  public static String sqlFor(RowChange c) {
    return RowSql.sqlFor(
        c, c.table().quoted(), TableId::quote, (v, schema) -> PgText.literal(PgText.of(v, schema)));
  }
}
