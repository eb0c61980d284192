package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.replay.Action;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The writes of one table's staged rows ({@link PgTableWork}, joined as {@code p}): one DELETE, one
 * or a few UPDATEs and INSERTs, checked (only where the live row {@code t} is still the journal's
 * current state) or not.
 */
final class PgTableWrites {
  /**
   * Up to this many distinct sets of columns to write, a table is updated by one plain UPDATE each.
   */
  private static final int MAX_WRITE_PATTERNS = 4;

  private final PgTableWork w;
  private final PgTableChecks checks;
  private final Connection connection;

  PgTableWrites(PgTableWork work, PgTableChecks checks, Connection connection) {
    this.w = work;
    this.checks = checks;
    this.connection = connection;
  }

  /** The live row (joined as t) is the state the journal says is current. */
  private String unchanged() {
    if (w.lean) {
      return "t.xmin = p.cur_xid";
    }
    StringBuilder any = new StringBuilder("p.cur_present AND NOT (false");
    for (int i = 0; i < w.columns.size(); i++) {
      any.append(" OR (").append(checks.differs(i)).append(")");
    }
    return any.append(")").toString();
  }

  /**
   * @param checked only rows that are still the journal's current state
   */
  int deleteRows(boolean checked) throws SQLException {
    if (w.expected.get(Action.DELETE) == 0) {
      return 0;
    }
    try (Statement s = connection.createStatement()) {
      return write(
          s,
          "DELETE FROM "
              + POSTGRES.quote(w.table)
              + " t USING "
              + w.temp
              + " p WHERE "
              + checks.keyMatch()
              + " AND NOT p.tgt_present"
              + (checked ? " AND " + unchanged() : ""));
    }
  }

  /**
   * @param checked only rows that are still the journal's current state
   */
  int updateRows(boolean checked) throws SQLException {
    if (w.expected.get(Action.UPDATE) + w.expected.get(Action.INSERT) == 0) {
      return 0;
    }
    List<String> settable = new ArrayList<>();
    for (String col : w.columns) {
      if (w.writable.contains(col) && !w.keyColumns.contains(col)) {
        settable.add(col);
      }
    }
    if (settable.isEmpty()) {
      return 0;
    }
    String where =
        " FROM "
            + w.temp
            + " p WHERE "
            + checks.keyMatch()
            + " AND p.tgt_present"
            + (checked ? " AND " + unchanged() : "");
    int updated = 0;
    try (Statement s = connection.createStatement()) {
      if (w.writePatterns.size() > MAX_WRITE_PATTERNS) {
        // many shapes: one statement that picks per row which columns to write
        StringBuilder set = new StringBuilder();
        for (String col : settable) {
          int i = w.columns.indexOf(col);
          set.append(set.length() == 0 ? "" : ", ")
              .append(POSTGRES.quote(col))
              .append(" = CASE WHEN substr(p.w_cols, ")
              .append(i + 1)
              .append(", 1) = '1' THEN ")
              .append(checks.value(i))
              .append(" ELSE t.")
              .append(POSTGRES.quote(col))
              .append(" END");
        }
        return write(s, "UPDATE " + POSTGRES.quote(w.table) + " t SET " + set + where);
      }
      // a few shapes (a mass write changes the same columns of every row): one plain statement
      // each
      for (String pattern : w.writePatterns) {
        StringBuilder set = new StringBuilder();
        for (String col : settable) {
          int i = w.columns.indexOf(col);
          if (pattern.charAt(i) == '1') {
            set.append(set.length() == 0 ? "" : ", ")
                .append(POSTGRES.quote(col))
                .append(" = ")
                .append(checks.value(i));
          }
        }
        if (set.length() == 0) { // nothing to write, but the row is checked and counted
          String col = POSTGRES.quote(settable.get(0));
          set.append(col).append(" = t.").append(col);
        }
        updated +=
            write(
                s,
                "UPDATE "
                    + POSTGRES.quote(w.table)
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
    if (!w.bulk()) {
      return s.executeUpdate(sql);
    }
    s.execute("SET LOCAL enable_nestloop = off");
    int written = s.executeUpdate(sql);
    s.execute("SET LOCAL enable_nestloop = on"); // after a failure the transaction is gone
    return written;
  }

  /**
   * Inserts the target rows that are not there. Checked writes ({@code anyMissing} false) only look
   * when the plan has inserts: a row the plan updates that went away makes the update's count fall
   * short instead. After the locking check, a row can also have gone because of the plan's own
   * deletes (a cascade, a trigger); it is inserted again whole.
   */
  int insertRows(boolean anyMissing) throws SQLException {
    if (!anyMissing && w.expected.get(Action.INSERT) == 0) {
      return 0;
    }
    List<String> patterns = new ArrayList<>();
    String missing =
        // lean rows carry only the columns to write: only rows the journal has absent are
        // inserted from them, never a row that went away meanwhile
        (w.lean ? "p.tgt_present AND p.cur_xid IS NULL" : "p.tgt_present")
            + " AND NOT EXISTS (SELECT 1 FROM "
            + POSTGRES.quote(w.table)
            + " t WHERE "
            + checks.keyMatch()
            + ")";
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT DISTINCT tgt_cols FROM " + w.temp + " p WHERE " + missing)) {
      while (rs.next()) {
        patterns.add(rs.getString(1));
      }
    }
    int inserted = 0;
    for (String pattern : patterns) {
      List<String> names = new ArrayList<>();
      List<String> values = new ArrayList<>();
      for (int i = 0; i < w.columns.size(); i++) {
        String col = w.columns.get(i);
        if (pattern.charAt(i) == '1' && w.writable.contains(col)) {
          names.add(POSTGRES.quote(col));
          values.add("p.t" + i + "::" + w.types.get(col));
        }
      }
      try (PreparedStatement ps =
          connection.prepareStatement(
              "INSERT INTO "
                  + POSTGRES.quote(w.table)
                  + " ("
                  + String.join(", ", names)
                  + ")"
                  + (w.identityAlways ? " OVERRIDING SYSTEM VALUE" : "")
                  + " SELECT "
                  + String.join(", ", values)
                  + " FROM "
                  + w.temp
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
