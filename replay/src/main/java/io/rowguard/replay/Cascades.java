package io.rowguard.replay;

import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.replay.internal.PgText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the database does beyond a plan's own rows when it is applied: rows of other tables that a
 * foreign key's {@code ON DELETE} (or {@code ON UPDATE}) {@code CASCADE}, {@code SET NULL} or
 * {@code SET DEFAULT} action removes or changes because the plan deletes (or re-keys) the rows they
 * refer to. Read from the catalog and the live tables, touching nothing; rows the plan itself
 * deletes are not counted again.
 */
public final class Cascades {
  private static final int SHOWN = 5;

  private Cascades() {}

  /** One line per foreign key whose action reaches rows outside the plan; empty when none does. */
  public static List<String> describe(Connection connection, RollbackPlan plan)
      throws SQLException {
    Map<TableId, List<RowChange>> removed = new LinkedHashMap<>();
    Map<TableId, List<RowChange>> byTable = new LinkedHashMap<>();
    for (RowChange c : plan.changes()) {
      byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
      if (c.current() != null && (c.action() == Action.DELETE || c.action() == Action.UPDATE)) {
        removed.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
      }
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<TableId, List<RowChange>> e : removed.entrySet()) {
      for (ForeignKey fk : referencing(connection, e.getKey())) {
        List<RowChange> parents = new ArrayList<>();
        for (RowChange c : e.getValue()) {
          boolean rekeyed =
              c.action() == Action.UPDATE
                  && fk.parentColumns().stream().anyMatch(c.changedColumns()::contains);
          if ((c.action() == Action.DELETE && fk.onDelete() != 'a' && fk.onDelete() != 'r')
              || (rekeyed && fk.onUpdate() != 'a' && fk.onUpdate() != 'r')) {
            parents.add(c);
          }
        }
        if (!parents.isEmpty()) {
          String line = reached(connection, fk, parents, byTable.get(fk.child()));
          if (line != null) {
            out.add(line);
          }
        }
      }
    }
    return out;
  }

  /** A foreign key of {@code child} referring to the plan's table, and its actions. */
  private record ForeignKey(
      String name,
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
          out.add(
              new ForeignKey(
                  rs.getString(1),
                  TableId.of(rs.getString(2), rs.getString(3)),
                  List.of((String[]) rs.getArray(4).getArray()),
                  List.of((String[]) rs.getArray(5).getArray()),
                  List.of((String[]) rs.getArray(6).getArray()),
                  rs.getString(7).charAt(0),
                  rs.getString(8).charAt(0)));
        }
      }
    }
    return out;
  }

  /** The line for one foreign key: how many rows outside the plan its action reaches, and which. */
  private static String reached(
      Connection connection, ForeignKey fk, List<RowChange> parents, List<RowChange> planned)
      throws SQLException {
    if (fk.childKey().isEmpty()) {
      return null; // no primary key: not a table rowguard can name rows of
    }
    String referred =
        parents.stream()
            .map(c -> tuple(c.current(), fk.parentColumns()))
            .distinct()
            .collect(Collectors.joining(", "));
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(textTuple(fk.childKey()))
            .append(" FROM ")
            .append(fk.child().quoted())
            .append(" t WHERE ")
            .append(textTuple(fk.childColumns()))
            .append(" IN (")
            .append(referred)
            .append(")");
    if (planned != null) {
      List<String> mine = new ArrayList<>();
      for (RowChange c : planned) {
        Row image = c.current() != null ? c.current() : c.target();
        mine.add(tuple(image, fk.childKey()));
      }
      sql.append(" AND ").append(textTuple(fk.childKey())).append(" NOT IN (");
      sql.append(String.join(", ", mine)).append(")");
    }
    List<String> keys = new ArrayList<>();
    long count = 0;
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql.toString())) {
      while (rs.next()) {
        if (count++ < SHOWN) {
          keys.add(rs.getString(1));
        }
      }
    }
    if (count == 0) {
      return null;
    }
    char action =
        parents.stream().anyMatch(c -> c.action() == Action.DELETE) ? fk.onDelete() : fk.onUpdate();
    String does =
        switch (action) {
          case 'c' -> "deletes";
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
        + " that the plan does not list, because it removes the rows of "
        + parents.get(0).table()
        + " they refer to (keys "
        + String.join("; ", keys)
        + (count > SHOWN ? "; …" : "")
        + ")";
  }

  /** {@code ROW(t.a::text, t.b::text)}: compared as text, whatever the types. */
  private static String textTuple(List<String> columns) {
    return "ROW("
        + columns.stream()
            .map(c -> "t." + TableId.quote(c) + "::text")
            .collect(Collectors.joining(", "))
        + ")";
  }

  /** {@code ROW('1', 'a')}: an image's values of the columns, as text literals (NULL as NULL). */
  private static String tuple(Row image, List<String> columns) {
    List<String> parts = new ArrayList<>();
    for (String c : columns) {
      int i = image.schema().indexOf(c);
      Object v = i < 0 ? null : image.get(i);
      parts.add(
          v == null
              ? "NULL::text"
              : PgText.literal(PgText.of(v, image.schema().column(i).schema())) + "::text");
    }
    return "ROW(" + String.join(", ", parts) + ")";
  }
}
