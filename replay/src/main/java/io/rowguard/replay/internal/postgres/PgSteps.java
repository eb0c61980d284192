package io.rowguard.replay.internal.postgres;

import io.rowguard.core.TableId;
import io.rowguard.replay.Action;
import io.rowguard.replay.WriteOrder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A plan's statements in the order PostgreSQL's foreign keys need ({@link WriteOrder}). */
final class PgSteps {
  private PgSteps() {}

  /** One statement of the write: one action on one table. */
  record Step(PgTableWork work, Action action) {
    /** Writes the rows; {@code checked}: only rows still at the journal's version. */
    int write(boolean checked) throws SQLException {
      return switch (action) {
        case DELETE -> work.writer.deleteRows(checked);
        case UPDATE -> work.writer.updateRows(checked);
        case INSERT -> work.writer.insertRows(!checked);
      };
    }
  }

  /**
   * The order of the writes, so that no foreign key is violated on the way ({@link WriteOrder}).
   */
  static List<Step> of(Connection connection, Map<TableId, PgTableWork> work) throws SQLException {
    List<Step> steps = new ArrayList<>();
    for (WriteOrder.Step<PgTableWork> s :
        WriteOrder.steps(foreignKeys(connection, work), w -> w.expected.get(Action.UPDATE) > 0)) {
      steps.add(new Step(s.table(), s.action()));
    }
    return steps;
  }

  /** Each table's referenced tables in the plan, itself included where it references itself. */
  private static Map<PgTableWork, Set<PgTableWork>> foreignKeys(
      Connection connection, Map<TableId, PgTableWork> work) throws SQLException {
    Map<PgTableWork, Set<PgTableWork>> parents = WriteOrder.noParents(work.values());
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT quote_ident(cn.nspname) || '.' || quote_ident(c.relname),"
                    + " quote_ident(pn.nspname) || '.' || quote_ident(p.relname)"
                    + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                    + " JOIN pg_namespace cn ON cn.oid = c.relnamespace"
                    + " JOIN pg_class p ON p.oid = k.confrelid"
                    + " JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE k.contype = 'f'");
        ResultSet rs = ps.executeQuery()) {
      Map<String, PgTableWork> byIdent = new HashMap<>();
      for (PgTableWork w : work.values()) {
        byIdent.put(ident(connection, w.table), w);
      }
      while (rs.next()) {
        PgTableWork child = byIdent.get(rs.getString(1));
        PgTableWork parent = byIdent.get(rs.getString(2));
        if (child != null && parent != null) {
          parents.get(child).add(parent);
        }
      }
    }
    return parents;
  }

  private static String ident(Connection connection, TableId t) throws SQLException {
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
}
