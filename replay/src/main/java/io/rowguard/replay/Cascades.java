package io.rowguard.replay;

import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.replay.internal.postgres.PgText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the database does beyond a plan's own rows when it is applied: rows of other tables that a
 * foreign key's {@code ON DELETE} (or {@code ON UPDATE}) {@code CASCADE}, {@code SET NULL} or
 * {@code SET DEFAULT} action removes or changes because the plan deletes (or re-keys) the rows they
 * refer to. Read from the catalog and the live tables, touching nothing; rows the plan itself lists
 * are not counted again. Two passes over the plan's rows, holding only key values.
 */
public final class Cascades {
  private static final int SHOWN = 5;

  private Cascades() {}

  /** One line per foreign key whose action reaches rows outside the plan; empty when none does. */
  public static List<String> describe(Connection connection, RollbackPlan plan)
      throws SQLException {
    Set<TableId> parents = new LinkedHashSet<>();
    for (RowChange c : plan.changes()) {
      if (c.current() != null) {
        parents.add(c.table());
      }
    }
    Map<TableId, List<ForeignKey>> keys = new LinkedHashMap<>();
    Set<TableId> children = new LinkedHashSet<>();
    for (TableId parent : parents) {
      List<ForeignKey> fks = referencing(connection, parent);
      if (!fks.isEmpty()) {
        keys.put(parent, fks);
        fks.forEach(fk -> children.add(fk.child()));
      }
    }
    if (keys.isEmpty()) {
      return List.of();
    }
    Map<ForeignKey, Set<List<String>>> referred = new LinkedHashMap<>();
    Map<ForeignKey, Boolean> deleted = new LinkedHashMap<>();
    Map<TableId, Set<List<String>>> planned = new LinkedHashMap<>();
    for (RowChange c : plan.changes()) {
      if (children.contains(c.table())) {
        Row image = c.current() != null ? c.current() : c.target();
        List<String> childKey = image.schema().keyColumns();
        planned.computeIfAbsent(c.table(), t -> new LinkedHashSet<>()).add(values(image, childKey));
      }
      for (ForeignKey fk : keys.getOrDefault(c.table(), List.of())) {
        boolean delete =
            c.action() == Action.DELETE && fk.onDelete() != 'a' && fk.onDelete() != 'r';
        boolean rekey =
            c.action() == Action.UPDATE
                && fk.onUpdate() != 'a'
                && fk.onUpdate() != 'r'
                && fk.parentColumns().stream().anyMatch(c.changedColumns()::contains);
        if (delete || rekey) {
          referred
              .computeIfAbsent(fk, k -> new LinkedHashSet<>())
              .add(values(c.current(), fk.parentColumns()));
          deleted.merge(fk, delete, Boolean::logicalOr);
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<ForeignKey, Set<List<String>>> e : referred.entrySet()) {
      ForeignKey fk = e.getKey();
      String line =
          reached(
              connection,
              fk,
              e.getValue(),
              planned.getOrDefault(fk.child(), Set.of()),
              deleted.get(fk));
      if (line != null) {
        out.add(line);
      }
    }
    return out;
  }

  /** A foreign key of {@code child} referring to {@code parent}, and its actions. */
  private record ForeignKey(
      String name,
      TableId parent,
      TableId child,
      List<String> childColumns,
      List<String> parentColumns,
      List<String> childKey,
      char onDelete,
      char onUpdate) {}

  private static List<ForeignKey> referencing(Connection connection, TableId parent)
      throws SQLException {
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
      ps.setString(1, parent.quoted());
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

  /**
   * The line for one foreign key: how many rows outside the plan its action reaches, and which.
   * Values are compared as text, whatever their types, and passed as one array per column.
   */
  private static String reached(
      Connection connection,
      ForeignKey fk,
      Set<List<String>> referred,
      Set<List<String>> planned,
      boolean deleted)
      throws SQLException {
    StringBuilder sql =
        new StringBuilder("SELECT ROW(")
            .append(columnsAsText(fk.childKey()))
            .append(")::text FROM ")
            .append(fk.child().quoted())
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
      int p = bind(connection, ps, 1, referred, fk.childColumns().size());
      if (!planned.isEmpty()) {
        bind(connection, ps, p, planned, fk.childKey().size());
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (count++ < SHOWN) {
            keys.add(rs.getString(1));
          }
        }
      }
    }
    if (count == 0) {
      return null;
    }
    char action = deleted ? fk.onDelete() : fk.onUpdate();
    String does =
        switch (action) {
          case 'c' -> deleted ? "deletes" : "changes";
          case 'n' -> "sets " + String.join(", ", fk.childColumns()) + " to NULL in";
          default -> "sets " + String.join(", ", fk.childColumns()) + " to its default in";
        };
    return "foreign key "
        + fk.name()
        + " "
        + does
        + " "
        + count
        + " row(s) of "
        + fk.child()
        + " that the plan does not list, because it "
        + (deleted ? "removes" : "changes the keys of")
        + " the rows of "
        + fk.parent()
        + " they refer to (keys "
        + String.join("; ", keys)
        + (count > SHOWN ? "; …" : "")
        + ")";
  }

  private static String columnsAsText(List<String> columns) {
    return columns.stream()
        .map(c -> "t." + TableId.quote(c) + "::text")
        .collect(Collectors.joining(", "));
  }

  private static String arrays(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?::text[]"));
  }

  /** One text array per column, from the tuples; returns the next parameter's index. */
  private static int bind(
      Connection connection, PreparedStatement ps, int from, Set<List<String>> tuples, int n)
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

  /** An image's values of the columns, in PostgreSQL's text form (null as null). */
  private static List<String> values(Row image, List<String> columns) {
    List<String> out = new ArrayList<>(columns.size());
    for (String c : columns) {
      int i = image.schema().indexOf(c);
      Object v = i < 0 ? null : image.get(i);
      out.add(v == null ? null : PgText.of(v, image.schema().column(i).schema()));
    }
    return out;
  }
}
