package io.rowguard.replay.internal.mysql;

import io.rowguard.core.Row;
import io.rowguard.core.TableSchema;
import io.rowguard.replay.RowChange;
import java.util.ArrayList;
import java.util.List;

/** One row's statement in MySQL's SQL, for plans people read. */
public final class MySqlStatements {
  private MySqlStatements() {}

  public static String sqlFor(RowChange c) {
    TableSchema schema = c.schema();
    Row keyImage = c.current() != null ? c.current() : c.target();
    StringBuilder where = new StringBuilder();
    for (String k : schema.keyColumns()) {
      int i = keyImage.schema().indexOf(k);
      where
          .append(where.length() == 0 ? "" : " AND ")
          .append(MySqlApplier.quote(k))
          .append(" = ")
          .append(MySqlValues.literal(keyImage.get(i), keyImage.schema().column(i).schema()));
    }
    String table = MySqlApplier.quote(c.table());
    return switch (c.action()) {
      case DELETE -> "DELETE FROM " + table + " WHERE " + where + ";";
      case UPDATE -> {
        StringBuilder set = new StringBuilder();
        Row t = c.target();
        for (String col : c.changedColumns()) {
          int i = t.schema().indexOf(col);
          if (i >= 0) {
            set.append(set.length() == 0 ? "" : ", ")
                .append(MySqlApplier.quote(col))
                .append(" = ")
                .append(MySqlValues.literal(t.get(i), t.schema().column(i).schema()));
          }
        }
        yield "UPDATE " + table + " SET " + set + " WHERE " + where + ";";
      }
      case INSERT -> {
        Row t = c.target();
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
          names.add(MySqlApplier.quote(t.schema().column(i).name()));
          values.add(MySqlValues.literal(t.get(i), t.schema().column(i).schema()));
        }
        yield "INSERT INTO "
            + table
            + " ("
            + String.join(", ", names)
            + ") VALUES ("
            + String.join(", ", values)
            + ");";
      }
    };
  }
}
