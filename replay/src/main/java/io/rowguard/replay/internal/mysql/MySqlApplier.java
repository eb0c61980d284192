package io.rowguard.replay.internal.mysql;

import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.ReplayException;
import io.rowguard.replay.RollbackPlan;
import io.rowguard.replay.RowChange;
import io.rowguard.replay.WriteOrder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Applies a plan to MySQL or MariaDB in one transaction, as the PostgreSQL path does: each table's
 * rows are staged in a temporary table (the journal's current image and the target, in batched
 * multi-row inserts), the live rows are locked and compared with the current images in one locking
 * read (NULL-safe, text byte for byte), and only then written with one statement per table and
 * action, in foreign key order. Every write carries the rollback's {@code /* rowguard:{…} *}{@code
 * /} comment, which capture reads back from the binlog as the transaction's tag.
 */
public final class MySqlApplier {

  /** Placeholders per statement: well under the protocol's 65,535. */
  private static final int MAX_PARAMETERS = 30_000;

  private final Connection connection;

  public MySqlApplier(Connection connection) {
    this.connection = connection;
  }

  /**
   * Applies {@code plan}, each write carrying {@code markJson} (the rollback's tag); {@code
   * progress} hears of the staging ({@code phase}, done, total). Conflicts under {@link
   * ConflictPolicy#ABORT} write nothing.
   */
  public ApplyResult apply(
      RollbackPlan plan, ConflictPolicy policy, String markJson, ProgressListener progress) {
    Map<Action, Integer> applied = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      applied.put(a, 0);
    }
    List<String> warnings = new ArrayList<>(plan.warnings());
    Map<TableId, MySqlTableWork> work = new LinkedHashMap<>();
    int ord = 0;
    for (RowChange c : plan.changes()) {
      work.computeIfAbsent(c.table(), t -> new MySqlTableWork(connection, t, work.size()))
          .add(ord++, c, false);
    }
    for (RowChange c : plan.settled()) {
      work.computeIfAbsent(c.table(), t -> new MySqlTableWork(connection, t, work.size()))
          .add(ord++, c, true);
    }
    if (work.isEmpty()) {
      return new ApplyResult(plan.id(), "", applied, List.of(), false, warnings);
    }
    String marker = comment(markJson);
    try {
      connection.setAutoCommit(false);
      try {
        long total = plan.changes().size() + plan.settled().size();
        long[] staged = {0};
        for (MySqlTableWork w : work.values()) {
          w.describe(warnings);
          w.stage((done) -> progress.update("staging", staged[0] + done, total));
          staged[0] += w.size();
        }
        List<ApplyResult.Conflict> conflicts = new ArrayList<>();
        for (MySqlTableWork w : work.values()) {
          conflicts.addAll(w.lockAndCompare());
        }
        if (!conflicts.isEmpty() && policy == ConflictPolicy.ABORT) {
          connection.rollback();
          return new ApplyResult(plan.id(), "", applied, conflicts, true, warnings);
        }
        if (!conflicts.isEmpty() && policy == ConflictPolicy.SKIP) {
          for (MySqlTableWork w : work.values()) {
            w.skipConflicts();
          }
        }
        boolean overwrite = policy == ConflictPolicy.OVERWRITE;
        for (WriteOrder.Step<MySqlTableWork> step :
            WriteOrder.steps(foreignKeys(work), MySqlTableWork::hasUpdates)) {
          int n = step.table().write(step.action(), overwrite, marker);
          applied.merge(step.action(), n, Integer::sum);
        }
        String before = gtidsBefore();
        connection.commit();
        return new ApplyResult(
            plan.id(), lastTransaction(before), applied, conflicts, false, warnings);
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        for (MySqlTableWork w : work.values()) {
          w.drop();
        }
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw describe(e);
    }
  }

  /** Hears how far the staging is. */
  public interface ProgressListener {
    void update(String phase, long done, long total);
  }

  /** The comment each write carries: the rollback's mark, with "*" "/" kept from ending it. */
  static String comment(String markJson) {
    // JSON may escape its slash
    return "/* rowguard:" + markJson.replace("*/", "*\\/") + " */ ";
  }

  /** Each table's referenced tables among the plan's. */
  private Map<MySqlTableWork, Set<MySqlTableWork>> foreignKeys(Map<TableId, MySqlTableWork> work)
      throws SQLException {
    Map<MySqlTableWork, Set<MySqlTableWork>> parents = WriteOrder.noParents(work.values());
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME, REFERENCED_TABLE_SCHEMA,"
                    + " REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE"
                    + " REFERENCED_TABLE_NAME IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        MySqlTableWork child = work.get(TableId.of(rs.getString(1), rs.getString(2)));
        MySqlTableWork parent = work.get(TableId.of(rs.getString(3), rs.getString(4)));
        if (child != null && parent != null) {
          parents.get(child).add(parent);
        }
      }
    }
    return parents;
  }

  /**
   * The GTID of the transaction just committed, or empty when the server cannot tell: MariaDB's
   * {@code @@last_gtid}; on MySQL the session's last transaction in performance_schema (8.0.16 and
   * later, where the {@code events_transactions_current} consumer is on, its default), else the one
   * GTID added to {@code @@gtid_executed} since {@code before} if no other writer committed then.
   */
  private String lastTransaction(String before) throws SQLException {
    List<String> queries =
        mariadb()
            ? List.of("SELECT @@last_gtid")
            : List.of(
                "SELECT GTID FROM performance_schema.events_transactions_current"
                    + " WHERE THREAD_ID = PS_CURRENT_THREAD_ID()",
                "SELECT GTID_SUBTRACT(@@gtid_executed, '" + before.replace("'", "") + "')");
    for (String sql : queries) {
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        String gtid = rs.next() && rs.getString(1) != null ? rs.getString(1).strip() : "";
        // one GTID (MySQL's uuid:n, MariaDB's domain-server-n), not a set of several
        if (gtid.matches("[0-9a-fA-F-]{36}:[0-9]+|[0-9]+-[0-9]+-[0-9]+")) {
          return gtid;
        }
      } catch (SQLException e) {
        // not readable by this user (performance_schema): try the next
      }
    }
    return "";
  }

  private boolean mariadb() throws SQLException {
    return connection
        .getMetaData()
        .getDatabaseProductName()
        .toLowerCase(Locale.ROOT)
        .contains("mariadb");
  }

  /** {@code @@gtid_executed} before the commit (MySQL), for {@link #lastTransaction}. */
  private String gtidsBefore() throws SQLException {
    if (mariadb()) {
      return "";
    }
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT @@gtid_executed")) {
      return rs.next() && rs.getString(1) != null ? rs.getString(1).replace("\n", "") : "";
    }
  }

  static ReplayException describe(SQLException e) {
    String message = e.getMessage() == null ? String.valueOf(e.getErrorCode()) : e.getMessage();
    int nl = message.indexOf('\n');
    return new ReplayException(
        "the database refused the rollback and nothing was written: "
            + (nl < 0 ? message : message.substring(0, nl)).strip(),
        e);
  }

  /** Calls {@code each} for every value of {@code row} in {@code columns}' order. */
  static void values(Row row, List<String> columns, BiConsumer<String, Object> each) {
    for (String c : columns) {
      int i = row.schema().indexOf(c);
      each.accept(c, i < 0 ? null : row.get(i));
    }
  }
}
