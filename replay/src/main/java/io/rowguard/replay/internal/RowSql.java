package io.rowguard.replay.internal;

import io.rowguard.core.Row;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.replay.RowChange;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/** One row's statement, for plans people read, in a database's quoting and literals. */
public final class RowSql {
  private RowSql() {}

  /**
   * @param table the table's quoted name
   * @param quote quotes a column name
   * @param literal a value as a literal of the database's SQL
   */
  public static String sqlFor(
      RowChange c,
      String table,
      UnaryOperator<String> quote,
      BiFunction<Object, ValueSchema, String> literal) {
    TableSchema schema = c.schema();
    Row keyImage = c.current() != null ? c.current() : c.target();
    StringBuilder where = new StringBuilder();
    for (String k : schema.keyColumns()) {
      int i = keyImage.schema().indexOf(k);
      where
          .append(where.length() == 0 ? "" : " AND ")
          .append(quote.apply(k))
          .append(" = ")
          .append(literal.apply(keyImage.get(i), keyImage.schema().column(i).schema()));
    }
    return switch (c.action()) {
      case DELETE -> "DELETE FROM " + table + " WHERE " + where + ";";
      case UPDATE -> {
        StringBuilder set = new StringBuilder();
        Row t = c.target();
        for (String col : c.changedColumns()) {
          int i = t.schema().indexOf(col);
          if (i >= 0) {
            set.append(set.length() == 0 ? "" : ", ")
                .append(quote.apply(col))
                .append(" = ")
                .append(literal.apply(t.get(i), t.schema().column(i).schema()));
          }
        }
        yield "UPDATE " + table + " SET " + set + " WHERE " + where + ";";
      }
      case INSERT -> {
        Row t = c.target();
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
          names.add(quote.apply(t.schema().column(i).name()));
          values.add(literal.apply(t.get(i), t.schema().column(i).schema()));
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
