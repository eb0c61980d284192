package io.rowguard.replay;

import io.rowguard.core.Row;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.replay.internal.ForeignKeys;
import io.rowguard.replay.internal.ForeignKeys.ForeignKey;
import io.rowguard.replay.internal.mysql.MySqlForeignKeys;
import io.rowguard.replay.internal.postgres.PgForeignKeys;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    ForeignKeys catalog =
        PlanApplier.dialectOf(connection) == SqlDialect.MYSQL
            ? new MySqlForeignKeys(connection)
            : new PgForeignKeys(connection);
    Set<TableId> parents = new LinkedHashSet<>();
    for (RowChange c : plan.changes()) {
      if (c.current() != null) {
        parents.add(c.table());
      }
    }
    Map<TableId, List<ForeignKey>> keys = new LinkedHashMap<>();
    Set<TableId> children = new LinkedHashSet<>();
    for (TableId parent : parents) {
      List<ForeignKey> fks = catalog.referencing(parent);
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
        planned
            .computeIfAbsent(c.table(), t -> new LinkedHashSet<>())
            .add(values(catalog, image, childKey));
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
              .add(values(catalog, c.current(), fk.parentColumns()));
          deleted.merge(fk, delete, Boolean::logicalOr);
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<ForeignKey, Set<List<String>>> e : referred.entrySet()) {
      ForeignKey fk = e.getKey();
      String line =
          line(
              catalog.reached(fk, e.getValue(), planned.getOrDefault(fk.child(), Set.of()), SHOWN),
              fk,
              deleted.get(fk));
      if (line != null) {
        out.add(line);
      }
    }
    return out;
  }

  /** The line for one foreign key: how many rows outside the plan its action reaches, and which. */
  private static String line(ForeignKeys.Reached reached, ForeignKey fk, boolean deleted) {
    long count = reached.count();
    List<String> keys = reached.keys();
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

  /** An image's values of the columns, in the form the database's catalog compares. */
  private static List<String> values(ForeignKeys catalog, Row image, List<String> columns) {
    List<String> out = new ArrayList<>(columns.size());
    for (String c : columns) {
      int i = image.schema().indexOf(c);
      Object v = i < 0 ? null : image.get(i);
      out.add(v == null ? null : catalog.value(v, image.schema().column(i).schema()));
    }
    return out;
  }
}
