package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.TableId;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.internal.ForeignKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * PostgreSQL's foreign keys from {@code pg_constraint}; values compared as text, whatever their
 * types, passed as one array per column.
 */
public final class PgForeignKeys implements ForeignKeys {
  private final Connection connection;

  public PgForeignKeys(Connection connection) {
    this.connection = connection;
  }

  @Override
  public List<ForeignKey> referencing(TableId parent) throws SQLException {
    String sql =
        "SELECT c.conname, n.nspname, r.relname,"
            + " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
            + "   JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),"
            + " ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
            + "   JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),"
            + " ARRAY(SELECT a.attname FROM pg_index x"
            + "   CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY k(n, i)"
            + "   JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n"
            + "   WHERE x.indrelid = c.conrelid AND x.indisprimary ORDER BY k.i),"
            + " c.confdeltype, c.confupdtype"
            + " FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid"
            + " JOIN pg_namespace n ON n.oid = r.relnamespace"
            + " WHERE c.contype = 'f' AND c.confrelid = to_regclass(?)"
            + " AND (c.confdeltype IN ('c', 'n', 'd') OR c.confupdtype IN ('c', 'n', 'd'))";
    List<ForeignKey> out = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      ps.setString(1, POSTGRES.quote(parent));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> childKey = List.of((String[]) rs.getArray(6).getArray());
          if (childKey.isEmpty()) {
            continue; // no primary key: not a table rowguard can name rows of
          }
          out.add(
              new ForeignKey(
                  rs.getString(1),
                  parent,
                  TableId.of(rs.getString(2), rs.getString(3)),
                  List.of((String[]) rs.getArray(4).getArray()),
                  List.of((String[]) rs.getArray(5).getArray()),
                  childKey,
                  rs.getString(7).charAt(0),
                  rs.getString(8).charAt(0)));
        }
      }
    }
    return out;
  }

  @Override
  public String value(Object value, ValueSchema schema) {
    return value == null ? null : PgText.of(value, schema);
  }

  @Override
  public Reached reached(
      ForeignKey fk, Set<List<String>> referred, Set<List<String>> planned, int shown)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder("SELECT ROW(")
            .append(columnsAsText(fk.childKey()))
            .append(")::text FROM ")
            .append(POSTGRES.quote(fk.child()))
            .append(" t WHERE ROW(")
            .append(columnsAsText(fk.childColumns()))
            .append(") IN (SELECT * FROM unnest(")
            .append(arrays(fk.childColumns().size()))
            .append("))");
    if (!planned.isEmpty()) {
      sql.append(" AND ROW(")
          .append(columnsAsText(fk.childKey()))
          .append(") NOT IN (SELECT * FROM unnest(")
          .append(arrays(fk.childKey().size()))
          .append("))");
    }
    List<String> keys = new ArrayList<>();
    long count = 0;
    try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
      int p = bind(ps, 1, referred, fk.childColumns().size());
      if (!planned.isEmpty()) {
        bind(ps, p, planned, fk.childKey().size());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (count++ < shown) {
            keys.add(rs.getString(1));
          }
        }
      }
    }
    return new Reached(count, keys);
  }

  private static String columnsAsText(List<String> columns) {
    return columns.stream()
        .map(c -> "t." + POSTGRES.quote(c) + "::text")
        .collect(Collectors.joining(", "));
  }

  private static String arrays(int n) {
    return String.join(", ", Collections.nCopies(n, "?::text[]"));
  }

  /** One text array per column, from the tuples; returns the next parameter's index. */
  private int bind(PreparedStatement ps, int from, Set<List<String>> tuples, int n)
      throws SQLException {
    for (int col = 0; col < n; col++) {
      String[] values = new String[tuples.size()];
      int i = 0;
      for (List<String> t : tuples) {
        values[i++] = t.get(col);
      }
      ps.setArray(from + col, connection.createArrayOf("text", values));
    }
    return from + n;
  }
}
