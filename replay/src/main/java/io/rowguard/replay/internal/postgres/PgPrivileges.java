package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.InputException;
import io.rowguard.core.TableId;
import io.rowguard.replay.Action;
import io.rowguard.replay.RollbackPlan;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the writing user may do, checked before anything is written: a plan whose writes it may not
 * make is refused with the {@code GRANT}s that let it.
 */
final class PgPrivileges {
  private PgPrivileges() {}

  /** The privileges the plan's writes need, per table. */
  static Map<TableId, Set<Action>> of(RollbackPlan plan) {
    Map<TableId, Set<Action>> needs = new LinkedHashMap<>();
    for (RowChange c : plan.changes()) {
      needs.computeIfAbsent(c.table(), t -> EnumSet.noneOf(Action.class)).add(c.action());
    }
    return needs;
  }

  /**
   * Refuses ({@link InputException}) when the connected user lacks a privilege the writes need:
   * SELECT on every table (each row is compared before it is written), the action's own, and
   * TEMPORARY on the database (the plan is staged in temporary tables).
   */
  static void check(Connection c, Map<TableId, Set<Action>> needs) throws SQLException {
    List<String> grants = new ArrayList<>();
    String user;
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT current_user, quote_ident(current_user), quote_ident(current_database()),"
                    + " has_database_privilege(current_database(), 'TEMPORARY')");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      user = rs.getString(1);
      if (!rs.getBoolean(4)) {
        grants.add("GRANT TEMPORARY ON DATABASE " + rs.getString(3) + " TO " + rs.getString(2));
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT r IS NOT NULL, r IS NOT NULL AND has_table_privilege(r, ?)"
                + " FROM to_regclass(quote_ident(?) || '.' || quote_ident(?)) r")) {
      for (Map.Entry<TableId, Set<Action>> e : needs.entrySet()) {
        List<String> missing = new ArrayList<>();
        for (String privilege : privileges(e.getValue())) {
          ps.setString(1, privilege);
          ps.setString(2, e.getKey().schema());
          ps.setString(3, e.getKey().name());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getBoolean(1) && !rs.getBoolean(2)) {
              missing.add(privilege);
            }
          }
        }
        if (!missing.isEmpty()) {
          grants.add(
              "GRANT "
                  + String.join(", ", missing)
                  + " ON "
                  + POSTGRES.quote(e.getKey())
                  + " TO "
                  + POSTGRES.quote(user));
        }
      }
    }
    if (!grants.isEmpty()) {
      throw new InputException(
          "user "
              + user
              + " may not make this plan's writes; nothing was written. As the tables' owner run: "
              + String.join("; ", grants)
              + "; (or set apply.user to a user that may)");
    }
  }

  private static List<String> privileges(Set<Action> actions) {
    List<String> out = new ArrayList<>(List.of("SELECT"));
    for (Action a : actions) {
      out.add(a.name());
    }
    return out;
  }
}
