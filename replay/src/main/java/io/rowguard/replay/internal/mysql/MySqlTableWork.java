package io.rowguard.replay.internal.mysql;

import static io.rowguard.core.SqlDialect.MYSQL;

import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.Action;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ReplayException;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * One table's part of a plan on MySQL or MariaDB: its rows staged in a temporary table {@code
 * rg_stage_N}, one row per change: (ordinal, action, pattern, has-current, {@code c_1…c_n} the
 * journal's current image, {@code t_1…t_n} the target); action {@code D}, {@code U}, {@code I}, or
 * {@code S} for a row only checked (at its target already, staged as its current image).
 */
final class MySqlTableWork {
  /**
   * Types compared byte for byte ({@code BINARY}): under a case- or accent-insensitive collation
   * {@code 'a' = 'A'}. MariaDB's JSON is {@code longtext}; MySQL's JSON compares as JSON.
   */
  private static final Set<String> TEXT =
      Set.of("char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set");

  private final Connection connection;
  private final TableId table;
  private final String stage;
  private final Map<Integer, RowChange> rows = new LinkedHashMap<>();
  private final Set<Integer> checkOnly = new HashSet<>();
  private final Map<Integer, Integer> patternOf = new HashMap<>();
  private final List<List<String>> patterns = new ArrayList<>();
  private final Set<Integer> conflicting = new HashSet<>();

  /** The live table's writable columns (not generated) that the images have, in table order. */
  private final List<String> columns = new ArrayList<>();

  /** Live column types ({@code DATA_TYPE}), by name. */
  private final Map<String, String> types = new HashMap<>();

  private List<String> keys = List.of();
  private boolean staged;
  private boolean updates;

  MySqlTableWork(Connection connection, TableId table, int n) {
    this.connection = connection;
    this.table = table;
    // in the table's database: a connection need not have one selected
    this.stage = MYSQL.quote(table.schema()) + ".rg_stage_" + n;
  }

  void add(int ord, RowChange c, boolean settled) {
    rows.put(ord, c);
    if (settled) {
      checkOnly.add(ord);
    }
    if (keys.isEmpty()) {
      keys = c.schema().keyColumns();
    }
    updates |= !settled && c.action() == Action.UPDATE;
  }

  int size() {
    return rows.size();
  }

  boolean hasUpdates() {
    return updates;
  }

  /** Reads the live table: its columns, which are generated, their types. */
  void describe(List<String> warnings) throws SQLException {
    Map<String, String> live = new LinkedHashMap<>();
    Set<String> generated = new HashSet<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT COLUMN_NAME, DATA_TYPE, EXTRA FROM information_schema.COLUMNS WHERE"
                + " TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          live.put(rs.getString(1), rs.getString(2).toLowerCase(Locale.ROOT));
          String extra = rs.getString(3) == null ? "" : rs.getString(3).toUpperCase(Locale.ROOT);
          if (extra.contains("GENERATED")
              || extra.contains("VIRTUAL")
              || extra.contains("PERSISTENT")
              || extra.contains("STORED")) {
            generated.add(rs.getString(1));
          }
        }
      }
    }
    if (live.isEmpty()) {
      throw new ReplayException(
          "table " + table + " does not exist in the database any more: nothing was written");
    }
    types.putAll(live);
    Set<String> imaged = null;
    for (RowChange c : rows.values()) {
      for (Row r : new Row[] {c.current(), c.target()}) {
        if (r != null) {
          Set<String> names = new LinkedHashSet<>();
          r.schema().columns().forEach(col -> names.add(col.name()));
          if (imaged == null) {
            imaged = names;
          } else {
            imaged.retainAll(names);
          }
        }
      }
    }
    for (String k : keys) {
      if (!live.containsKey(k)) {
        throw new ReplayException(
            "key column " + k + " of " + table + " is gone from the database: nothing was written");
      }
    }
    for (String name : live.keySet()) {
      if (generated.contains(name)) {
        continue; // the database computes it
      }
      if (imaged != null && imaged.contains(name)) {
        columns.add(name);
      } else {
        warnings.add(
            "column "
                + name
                + " of "
                + table
                + " is not in the journal's images of every row: it is left as the database has it");
      }
    }
    for (String k : keys) {
      if (!columns.contains(k)) {
        throw new ReplayException(
            "key column "
                + k
                + " of "
                + table
                + " is generated or not in the journal's images:"
                + " rows can't be matched; nothing was written");
      }
    }
    if (imaged != null) {
      for (String name : imaged) {
        if (!live.containsKey(name)) {
          warnings.add(
              "column "
                  + name
                  + " of "
                  + table
                  + " was dropped since: its journaled values are not restored");
        }
      }
    }
  }

  /** Creates the temporary table and loads the images, in batches. */
  void stage(LongConsumer done) throws SQLException {
    StringBuilder select = new StringBuilder();
    for (String prefix : new String[] {"c_", "t_"}) {
      for (int i = 0; i < columns.size(); i++) {
        select.append(", l.").append(MYSQL.quote(columns.get(i)));
        select.append(" AS ").append(prefix).append(i + 1);
      }
    }
    try (Statement s = connection.createStatement()) {
      s.execute("DROP TEMPORARY TABLE IF EXISTS " + stage);
      // the live columns' types, made nullable by the outer join: a delete has no target, an
      // insert no current image
      s.execute(
          "CREATE TEMPORARY TABLE "
              + stage
              + " AS SELECT 0 AS rg_ord, 'U' AS rg_action, 0 AS rg_pattern, 0 AS rg_cur"
              + select
              + " FROM (SELECT 1) rg_one LEFT JOIN "
              + MYSQL.quote(table)
              + " l ON FALSE LIMIT 0");
    }
    staged = true;
    int width = 2 * columns.size() + 4;
    int perStatement = Math.max(1, Math.min(1000, 30_000 / width));
    List<Object[]> batch = new ArrayList<>();
    long n = 0;
    for (Map.Entry<Integer, RowChange> e : rows.entrySet()) {
      RowChange c = e.getValue();
      boolean settled = checkOnly.contains(e.getKey());
      String action = settled ? "S" : actionCode(c.action());
      int pattern = settled || c.action() != Action.UPDATE ? 0 : pattern(e.getKey(), c);
      Row current = settled ? c.target() : c.current();
      Row target = settled ? null : c.target();
      batch.add(new Object[] {e.getKey(), action, pattern, current, target});
      if (batch.size() >= perStatement) {
        insert(batch);
        batch.clear();
      }
      if (++n % 5_000 == 0) {
        done.accept(n);
      }
    }
    if (!batch.isEmpty()) {
      insert(batch);
    }
    done.accept(n);
  }

  private static String actionCode(Action a) {
    return switch (a) {
      case DELETE -> "D";
      case UPDATE -> "U";
      case INSERT -> "I";
    };
  }

  /** The set of columns an update writes, as a number shared by rows that write the same ones. */
  private int pattern(int ord, RowChange c) {
    List<String> written = new ArrayList<>();
    for (String col : columns) {
      if (c.changedColumns().contains(col)) {
        written.add(col);
      }
    }
    int p = patterns.indexOf(written);
    if (p < 0) {
      patterns.add(written);
      p = patterns.size() - 1;
    }
    patternOf.put(ord, p);
    return p;
  }

  private void insert(List<Object[]> batch) throws SQLException {
    StringBuilder sql = new StringBuilder("INSERT INTO ").append(stage).append(" VALUES ");
    String one = "(?, ?, ?, ?" + ", ?".repeat(2 * columns.size()) + ")";
    for (int i = 0; i < batch.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(one);
    }
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      int p = 1;
      for (Object[] r : batch) {
        ps.setInt(p++, (Integer) r[0]);
        ps.setString(p++, (String) r[1]);
        ps.setInt(p++, (Integer) r[2]);
        ps.setInt(p++, r[3] == null ? 0 : 1);
        p = bindImage(ps, p, (Row) r[3]);
        p = bindImage(ps, p, (Row) r[4]);
      }
      ps.executeUpdate();
    }
  }

  /** Binds an image's values in {@link #columns}' order (NULLs for no image); the next index. */
  private int bindImage(PreparedStatement ps, int p, Row image) throws SQLException {
    for (String c : columns) {
      if (image == null) {
        ps.setNull(p++, java.sql.Types.NULL);
        continue;
      }
      int i = image.schema().indexOf(c);
      Object v = image.get(i);
      if (v == Row.UNAVAILABLE || v == Row.MISSING) {
        throw new ReplayException(
            "the journal has no value of column " + c + " of a row of " + table);
      }
      ValueSchema schema = image.schema().column(i).schema();
      MySqlValues.bind(ps, p++, v, schema);
    }
    return p;
  }

  /**
   * Locks the live rows of the plan and returns those that do not look as the journal says: gone,
   * differing in a value, or (for a row to insert) there already.
   */
  List<ApplyResult.Conflict> lockAndCompare() throws SQLException {
    List<ApplyResult.Conflict> out = new ArrayList<>();
    String live = MYSQL.quote(table);
    StringBuilder same = new StringBuilder();
    StringBuilder differing = new StringBuilder("CONCAT_WS(', '");
    for (int i = 0; i < columns.size(); i++) {
      String l = "l." + MYSQL.quote(columns.get(i));
      String c = "s.c_" + (i + 1);
      String equal =
          TEXT.contains(types.get(columns.get(i)))
              ? "BINARY " + l + " <=> BINARY " + c
              : l + " <=> " + c;
      same.append(same.length() == 0 ? "" : " AND ").append(equal);
      differing
          .append(", IF(")
          .append(equal)
          .append(", NULL, ")
          .append(MySqlValues.stringLiteral(columns.get(i)))
          .append(")");
    }
    differing.append(")");
    String firstKey = "l." + MYSQL.quote(keys.get(0));
    String sql =
        "SELECT s.rg_ord, "
            + firstKey
            + " IS NULL, "
            + differing
            + " FROM "
            + stage
            + " s LEFT JOIN "
            + live
            + " l ON "
            + join("c_")
            + " WHERE s.rg_cur = 1 AND ("
            + firstKey
            + " IS NULL OR NOT ("
            + (same.length() == 0 ? "TRUE" : same)
            + ")) FOR UPDATE";
    conflicts(
        sql,
        rs ->
            rs.getBoolean(2)
                ? "the row is gone from the database (deleted since the journal's last version)"
                : "the row changed after the journal's last version (written since, or being"
                    + " written now): "
                    + rs.getString(3),
        out);
    String present =
        "SELECT s.rg_ord FROM "
            + stage
            + " s JOIN "
            + live
            + " l ON "
            + join("t_")
            + " WHERE s.rg_action = 'I' FOR UPDATE";
    conflicts(
        present, rs -> "a row with this key exists in the database: it was inserted since", out);
    return out;
  }

  /** Why a row read by a locking read is a conflict, from the rest of its columns. */
  private interface Reason {
    String of(ResultSet row) throws SQLException;
  }

  /** Runs a locking read of rows (ordinal first): each a conflict, why told by {@code reason}. */
  private void conflicts(String sql, Reason reason, List<ApplyResult.Conflict> out)
      throws SQLException {
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        int ord = rs.getInt(1);
        conflicting.add(ord);
        out.add(new ApplyResult.Conflict(table, rows.get(ord).key(), reason.of(rs)));
      }
    }
  }

  /** Leaves the conflicting rows out of the writes. */
  void skipConflicts() throws SQLException {
    List<Integer> ords = new ArrayList<>(conflicting);
    for (int from = 0; from < ords.size(); from += 1000) {
      List<Integer> part = ords.subList(from, Math.min(ords.size(), from + 1000));
      StringBuilder sql = new StringBuilder("DELETE FROM " + stage + " WHERE rg_ord IN (");
      for (int i = 0; i < part.size(); i++) {
        sql.append(i == 0 ? "" : ", ").append(part.get(i));
      }
      try (Statement s = connection.createStatement()) {
        s.execute(sql.append(")").toString());
      }
    }
  }

  /** Writes the rows of {@code action}; returns how many. */
  int write(Action action, boolean overwrite, String marker) throws SQLException {
    // a multi-table DELETE names its target by alias, which MariaDB resolves in the current
    // database
    connection.setCatalog(table.schema());
    String live = MYSQL.quote(table);
    return switch (action) {
      case DELETE ->
          update(
              marker
                  + "DELETE l FROM "
                  + live
                  + " l JOIN "
                  + stage
                  + " s ON "
                  + join("c_")
                  + " WHERE s.rg_action = 'D'");
      case INSERT ->
          update(
              marker + insertSelect("s.rg_action = 'I'") + (overwrite ? onDuplicate(columns) : ""));
      case UPDATE -> {
        int n = 0;
        for (int p = 0; p < patterns.size(); p++) {
          List<String> set = patterns.get(p);
          if (set.isEmpty()) {
            continue;
          }
          if (overwrite) {
            // the row may be gone by now: put it back whole, else write the changed cells
            n +=
                update(
                    marker
                        + insertSelect("s.rg_action = 'U' AND s.rg_pattern = " + p)
                        + onDuplicate(set));
            continue;
          }
          StringBuilder assign = new StringBuilder();
          for (String c : set) {
            assign.append(assign.length() == 0 ? "" : ", ");
            assign.append("l.").append(MYSQL.quote(c)).append(" = ").append(target(c));
          }
          n +=
              update(
                  marker
                      + "UPDATE "
                      + live
                      + " l JOIN "
                      + stage
                      + " s ON "
                      + join("c_")
                      + " SET "
                      + assign
                      + " WHERE s.rg_action = 'U' AND s.rg_pattern = "
                      + p);
        }
        yield n;
      }
    };
  }

  /** Inserts the staged targets of the rows {@code where} selects. */
  private String insertSelect(String where) {
    return "INSERT INTO "
        + MYSQL.quote(table)
        + " ("
        + names(columns)
        + ") SELECT "
        + targets(columns)
        + " FROM "
        + stage
        + " s WHERE "
        + where;
  }

  private String onDuplicate(List<String> set) {
    StringBuilder sb = new StringBuilder(" ON DUPLICATE KEY UPDATE ");
    for (int i = 0; i < set.size(); i++) {
      String q = MYSQL.quote(set.get(i));
      sb.append(i == 0 ? "" : ", ").append(q).append(" = VALUES(").append(q).append(")");
    }
    return sb.toString();
  }

  private int update(String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      return s.executeUpdate(sql);
    }
  }

  /**
   * The live row ({@code l}) of a staged row ({@code s}) by key, in its current or target image.
   */
  private String join(String image) {
    StringBuilder sb = new StringBuilder();
    for (String k : keys) {
      sb.append(sb.length() == 0 ? "" : " AND ")
          .append("l.")
          .append(MYSQL.quote(k))
          .append(" = s.")
          .append(image)
          .append(columns.indexOf(k) + 1);
    }
    return sb.toString();
  }

  /** The staged target value of {@code column}. */
  private String target(String column) {
    return "s.t_" + (columns.indexOf(column) + 1);
  }

  private String targets(List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(sb.length() == 0 ? "" : ", ").append(target(n));
    }
    return sb.toString();
  }

  private static String names(List<String> names) {
    StringBuilder sb = new StringBuilder();
    for (String n : names) {
      sb.append(sb.length() == 0 ? "" : ", ").append(MYSQL.quote(n));
    }
    return sb.toString();
  }

  /** Drops the temporary table (which does not end the transaction). */
  void drop() {
    if (!staged) {
      return;
    }
    try (Statement s = connection.createStatement()) {
      s.execute("DROP TEMPORARY TABLE IF EXISTS " + stage);
    } catch (SQLException e) {
      // the session ends with the connection, and its temporary tables with it
    }
  }
}
