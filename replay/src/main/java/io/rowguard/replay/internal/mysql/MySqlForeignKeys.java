package io.rowguard.replay.internal.mysql;

import static io.rowguard.core.SqlDialect.MYSQL;

import io.rowguard.core.TableId;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.internal.ForeignKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * MySQL's and MariaDB's foreign keys from {@code information_schema}; values compared in the
 * columns' own types, as SQL literals, a few thousand tuples per query.
 */
public final class MySqlForeignKeys implements ForeignKeys {
  private static final int TUPLES_PER_QUERY = 2_000;

  private final Connection connection;

  public MySqlForeignKeys(Connection connection) {
    this.connection = connection;
  }

  @Override
  public List<ForeignKey> referencing(TableId parent) throws SQLException {
    List<ForeignKey> out = new ArrayList<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT CONSTRAINT_NAME, CONSTRAINT_SCHEMA, TABLE_NAME, DELETE_RULE, UPDATE_RULE"
                + " FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE"
                + " UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ? AND"
                + " (DELETE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT')"
                + " OR UPDATE_RULE IN ('CASCADE', 'SET NULL', 'SET DEFAULT'))"
                + " ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME")) {
      ps.setString(1, parent.schema());
      ps.setString(2, parent.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TableId child = TableId.of(rs.getString(2), rs.getString(3));
          List<String> childKey = columns(child, "PRIMARY", false);
          if (childKey.isEmpty()) {
            continue; // no primary key: not a table rowguard can name rows of
          }
          out.add(
              new ForeignKey(
                  rs.getString(1),
                  parent,
                  child,
                  columns(child, rs.getString(1), false),
                  columns(child, rs.getString(1), true),
                  childKey,
                  action(rs.getString(4)),
                  action(rs.getString(5))));
        }
      }
    }
    return out;
  }

  /** A constraint's columns (or the columns they refer to), in its order. */
  private List<String> columns(TableId table, String constraint, boolean referenced)
      throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT "
                + (referenced ? "REFERENCED_COLUMN_NAME" : "COLUMN_NAME")
                + " FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND"
                + " TABLE_NAME = ? AND CONSTRAINT_NAME = ? ORDER BY ORDINAL_POSITION")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      ps.setString(3, constraint);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  private static char action(String rule) {
    return switch (rule) {
      case "CASCADE" -> 'c';
      case "SET NULL" -> 'n';
      case "SET DEFAULT" -> 'd';
      case "RESTRICT" -> 'r';
      default -> 'a';
    };
  }

  @Override
  public String value(Object value, ValueSchema schema) {
    return MySqlValues.literal(value, schema);
  }

  @Override
  public Reached reached(
      ForeignKey fk, Set<List<String>> referred, Set<List<String>> planned, int shown)
      throws SQLException {
    String key = "CONCAT('(', CONCAT_WS(',', " + columns(fk.childKey()) + "), ')')";
    String notPlanned =
        planned.isEmpty()
            ? ""
            : " AND (" + columns(fk.childKey()) + ") NOT IN (" + tuples(List.copyOf(planned)) + ")";
    List<List<String>> all = List.copyOf(referred);
    List<String> keys = new ArrayList<>();
    long count = 0;
    try (var s = connection.createStatement()) {
      for (int from = 0; from < all.size(); from += TUPLES_PER_QUERY) {
        List<List<String>> chunk = all.subList(from, Math.min(all.size(), from + TUPLES_PER_QUERY));
        String sql =
            "SELECT "
                + key
                + " FROM "
                + MYSQL.quote(fk.child())
                + " t WHERE ("
                + columns(fk.childColumns())
                + ") IN ("
                + tuples(chunk)
                + ")"
                + notPlanned;
        try (ResultSet rs = s.executeQuery(sql)) {
          while (rs.next()) {
            if (count++ < shown) {
              keys.add(rs.getString(1));
            }
          }
        }
      }
    }
    return new Reached(count, keys);
  }

  private static String columns(List<String> columns) {
    StringBuilder sb = new StringBuilder();
    for (String c : columns) {
      sb.append(sb.length() == 0 ? "" : ", ").append("t.").append(MYSQL.quote(c));
    }
    return sb.toString();
  }

  private static String tuples(List<List<String>> tuples) {
    StringBuilder sb = new StringBuilder();
    for (List<String> t : tuples) {
      sb.append(sb.length() == 0 ? "(" : ", (").append(String.join(", ", t)).append(')');
    }
    return sb.toString();
  }
}
