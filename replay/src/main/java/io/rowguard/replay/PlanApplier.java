package io.rowguard.replay;

import static io.rowguard.core.SqlDialect.MYSQL;
import static io.rowguard.core.SqlDialect.POSTGRES;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.replay.internal.RowSql;
import io.rowguard.replay.internal.mysql.MySqlApplier;
import io.rowguard.replay.internal.mysql.MySqlValues;
import io.rowguard.replay.internal.postgres.PgText;
import io.rowguard.replay.internal.postgres.PostgresApplier;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Applies a plan to the database in one transaction, set-based and checked: each table's rows are
 * staged in a temporary table, and one statement per table and action writes the target states, in
 * foreign-key order, each only where the live row is still the state the journal says is current; a
 * conflict is reported or handled by the {@link ConflictPolicy}. The writes carry the rollback's
 * {@link #mark mark}, so the journal records them as this rollback.
 *
 * <p>How is the database's own: {@code internal.postgres.PostgresApplier} (COPY, xmin first, a
 * logical message) and {@code internal.mysql.MySqlApplier} (multi-row inserts, a locking compare, a
 * statement comment).
 */
public final class PlanApplier {
  /** Reports progress of long work: a phase, done so far, total (negative when not known yet). */
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  /** A plan, and what applying it did. */
  public record Outcome(RollbackPlan plan, ApplyResult result) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Exactly one of the two is set, by the database the connection is to. */
  private final PostgresApplier postgres;

  private final MySqlApplier binlog;

  /** The caller owns the connection; it is left in auto-commit mode afterwards. */
  public PlanApplier(Connection connection) {
    boolean mysql = dialectOf(connection) == SqlDialect.MYSQL;
    this.postgres = mysql ? null : new PostgresApplier(connection);
    this.binlog = mysql ? new MySqlApplier(connection) : null;
  }

  public ApplyResult apply(
      RollbackPlan plan, ConflictPolicy policy, String operator, String reason, Progress progress) {
    if (binlog != null) {
      return binlog.apply(plan, policy, mark(plan, operator, reason), progress::update);
    }
    return postgres.apply(plan, policy, operator, reason, progress);
  }

  /**
   * Plans the rollback of a whole table and applies it: what {@link Planner#rollbackTable(TableId,
   * PointInTime)} and then {@link #apply} do, but on PostgreSQL with {@link ConflictPolicy#ABORT}
   * the lean write's rows are staged while the planner still reads the journal, and the database
   * parses them meanwhile. The database is written only after the plan is complete, checked as by
   * {@link #apply}.
   */
  public Outcome rollbackTable(
      Planner planner,
      TableId table,
      PointInTime point,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress) {
    if (binlog != null) {
      RollbackPlan plan = planner.rollbackTable(table, point);
      return new Outcome(plan, apply(plan, policy, operator, reason, progress));
    }
    return postgres.rollbackTable(planner, table, point, policy, operator, reason, progress);
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

  /** For callers that show a row's SQL: the statement that puts one row to its target state. */
  public static String sqlFor(RowChange c, SqlDialect dialect) {
    return dialect == SqlDialect.MYSQL
        ? RowSql.sqlFor(c, MYSQL.quote(c.table()), MYSQL::quote, MySqlValues::literal)
        : sqlFor(c);
  }

  /** {@link #sqlFor(RowChange, SqlDialect)} in PostgreSQL's SQL. */
  public static String sqlFor(RowChange c) {
    return RowSql.sqlFor(
        c,
        POSTGRES.quote(c.table()),
        POSTGRES::quote,
        (v, schema) -> PgText.literal(PgText.of(v, schema)));
  }

  /** The dialect of the database {@code connection} is to. */
  static SqlDialect dialectOf(Connection connection) {
    try {
      String product = connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
      return product.contains("mysql") || product.contains("mariadb")
          ? SqlDialect.MYSQL
          : SqlDialect.POSTGRES;
    } catch (SQLException e) {
      throw new ReplayException("could not tell which database the connection is to", e);
    }
  }
}
