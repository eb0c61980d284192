package io.rowguard.connectors.internal;

import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;

/**
 * The columns of a row schema from someone else's connector that carry a lossy form, judged per
 * database by {@code problem} against the catalog's type of each column.
 */
public final class LossyColumns {
  private LossyColumns() {}

  /**
   * @param typesSql the catalog query: column name and type, for the table's schema and name
   * @param problem what is lossy about a column of this type in this schema, or null
   */
  public static List<String> of(
      Connection c,
      String typesSql,
      TableId table,
      Schema row,
      BiFunction<String, Schema, String> problem)
      throws SQLException {
    Map<String, String> types = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(typesSql)) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          types.put(rs.getString(1), rs.getString(2).toLowerCase(Locale.ROOT));
        }
      }
    }
    List<String> out = new ArrayList<>();
    for (Field f : row.fields()) {
      String type = types.get(f.name());
      String why = type == null ? null : problem.apply(type, f.schema());
      if (why != null) {
        out.add(table + "." + f.name() + " (" + type + "): " + why);
      }
    }
    return out;
  }
}
