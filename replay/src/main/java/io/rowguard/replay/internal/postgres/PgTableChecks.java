package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.RowKey;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks on one table's staged rows ({@link PgTableWork}, joined as {@code p}) against its live
 * rows ({@code t}): the locking read, the comparison with the journal's current image, and the
 * cells a column narrowed since would change.
 */
final class PgTableChecks {
  private final PgTableWork w;
  private final Connection connection;

  /** The plan's rows with a cell that does not fit its narrowed column. */
  private final List<Integer> lossyRows = new ArrayList<>();

  PgTableChecks(PgTableWork work, Connection connection) {
    this.w = work;
    this.connection = connection;
  }

  String keyMatch() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < w.keyColumns.size(); i++) {
      String col = w.keyColumns.get(i);
      sb.append(i == 0 ? "" : " AND ")
          .append("t.")
          .append(POSTGRES.quote(col))
          .append(" = p.k")
          .append(i)
          .append("::")
          .append(w.types.getOrDefault(col, "text"));
    }
    return sb.toString();
  }

  void lockRows() throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT 1 FROM "
                    + POSTGRES.quote(w.table)
                    + " t JOIN "
                    + w.temp
                    + " p ON "
                    + keyMatch()
                    + " FOR UPDATE OF t")) {
      while (rs.next()) {
        // locking is the point
      }
    }
  }

  /**
   * A column's live value against the journal's current one, compared in the column type's own text
   * form, or with {@code =} for types whose equal values always print alike (for numeric only with
   * a declared scale: {@code 1.0 = 1.00}). A streamed timetz reaches the journal normalised to UTC,
   * so timetz compares as UTC.
   */
  String differs(int i) {
    String col = w.columns.get(i);
    String type = w.types.get(col);
    String live = "t." + POSTGRES.quote(col);
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
    for (int i = 0; i < w.columns.size(); i++) {
      changed
          .append(", CASE WHEN ")
          .append(differs(i))
          .append(" THEN ")
          .append(PgText.literal(w.columns.get(i)))
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
            + w.temp
            + " p LEFT JOIN "
            + POSTGRES.quote(w.table)
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
        RowChange c = w.rows.get(rs.getInt(1));
        seen.add(rs.getInt(1));
        out.add(new ApplyResult.Conflict(w.table, c.key(), "row " + rs.getString(2)));
      }
    }
    for (int r = 0; r < w.rows.size(); r++) {
      RowChange c = w.rows.get(r);
      if (!c.dependents().isEmpty() && !seen.contains(r)) {
        out.add(
            new ApplyResult.Conflict(
                w.table,
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
   * The target values the live column's type would change when cast to it (a column narrowed since:
   * {@code 'renamed'} into varchar(5), {@code 1.55} into numeric(10,1)), as conflicts naming each
   * cell, its value, and what would be written instead. Never written silently.
   */
  List<ApplyResult.Conflict> lossyCells() throws SQLException {
    StringBuilder cells = new StringBuilder("array_remove(ARRAY[NULL::text");
    StringBuilder any = new StringBuilder("false");
    for (int i = 0; i < w.columns.size(); i++) {
      String col = w.columns.get(i);
      String base = w.narrowable.get(col);
      if (base == null || !w.writable.contains(col) || readFromLiveType(i)) {
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
          .append(PgText.literal(w.types.get(col)))
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
                    + w.temp
                    + " p WHERE "
                    + any
                    + " ORDER BY p.ord")) {
      while (rs.next()) {
        RowChange c = w.rows.get(rs.getInt(1));
        lossyRows.add(rs.getInt(1));
        out.add(new ApplyResult.Conflict(w.table, c.key(), "cell " + rs.getString(2)));
      }
    }
    return out;
  }

  /**
   * Whether every image's values of the plan's column {@code i} were captured from a column of the
   * live type, modifier and all (numeric, varchar and char, by the length and scale Debezium passes
   * along): such values fit unchanged, and need no check.
   */
  private boolean readFromLiveType(int i) {
    String col = w.columns.get(i);
    int mod = w.typmods.getOrDefault(col, -1);
    String length;
    String scale = null;
    switch (w.narrowable.get(col)) {
      case "numeric" -> {
        length = Integer.toString(((mod - 4) >> 16) & 0xffff);
        scale = Integer.toString((mod - 4) & 0xffff);
      }
      case "character varying", "bpchar" -> length = Integer.toString(mod - 4);
      default -> {
        return false;
      }
    }
    for (Map.Entry<TableSchema, int[]> e : w.positions.entrySet()) {
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
    StringBuilder written = new StringBuilder("p.w_cols");
    for (int i = 0; i < w.columns.size(); i++) {
      String base = w.narrowable.get(w.columns.get(i));
      if (base != null && w.writable.contains(w.columns.get(i))) {
        written
            .insert(0, "overlay(")
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
      if (w.rows.get(r).action() == Action.INSERT) {
        inserts.add(r);
      }
    }
    try (PreparedStatement del =
            connection.prepareStatement("DELETE FROM " + w.temp + " WHERE ord = ANY (?)");
        PreparedStatement upd =
            connection.prepareStatement(
                "UPDATE " + w.temp + " p SET w_cols = " + written + " WHERE p.ord = ANY (?)");
        Statement s = connection.createStatement()) {
      del.setArray(1, connection.createArrayOf("int4", inserts.toArray()));
      del.executeUpdate();
      upd.setArray(1, connection.createArrayOf("int4", lossyRows.toArray()));
      upd.executeUpdate();
      // an update left with nothing to write is not made at all
      s.execute(
          "DELETE FROM "
              + w.temp
              + " p WHERE p.tgt_present AND position('1' in p.w_cols) = 0 AND p.ord IN ("
              + lossyRows.stream()
                  .map(String::valueOf)
                  .collect(java.util.stream.Collectors.joining(","))
              + ")");
      try (ResultSet rs =
          s.executeQuery("SELECT DISTINCT w_cols FROM " + w.temp + " WHERE tgt_present")) {
        while (rs.next()) {
          w.writePatterns.add(rs.getString(1));
        }
      }
    }
  }

  void dropConflicting(List<ApplyResult.Conflict> conflicts) throws SQLException {
    List<Integer> ords = new ArrayList<>();
    Set<RowKey> keys = new HashSet<>();
    for (ApplyResult.Conflict c : conflicts) {
      if (c.table().equals(w.table)) {
        keys.add(c.key());
      }
    }
    for (int r = 0; r < w.rows.size(); r++) {
      if (keys.contains(w.rows.get(r).key())) {
        ords.add(r);
      }
    }
    if (ords.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        connection.prepareStatement("DELETE FROM " + w.temp + " WHERE ord = ANY (?)")) {
      ps.setArray(1, connection.createArrayOf("int4", ords.toArray()));
      ps.executeUpdate();
    }
  }

  /** The target value of the plan's column i, in the column's type. */
  String value(int i) {
    return "p.t" + i + "::" + w.types.get(w.columns.get(i));
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
}
