package io.rowguard.connectors.internal.mysql;

import io.rowguard.connectors.internal.LossyColumns;
import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.connect.data.Schema;

/**
 * Which columns of a MySQL/MariaDB table a Debezium connector configured by someone else sends in a
 * form that loses part of the value (doubles for decimals, milliseconds for microsecond times, text
 * for binary columns).
 */
final class BinlogRepresentation {
  private BinlogRepresentation() {}

  static List<String> lossyColumns(Connection c, TableId table, Schema row) throws SQLException {
    return LossyColumns.of(
        c,
        "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
            + " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        table,
        row,
        BinlogRepresentation::problem);
  }

  private static String problem(String type, Schema s) {
    String name = s.name() == null ? "" : s.name();
    Schema.Type t = s.type();
    if (type.startsWith("decimal") && (t == Schema.Type.FLOAT64 || t == Schema.Type.FLOAT32)) {
      return "arrives as a double (decimal.handling.mode=double); set precise or string";
    }
    boolean fraction = type.matches(".*\\([4-6]\\).*");
    if ((type.startsWith("datetime") || type.startsWith("timestamp") || type.startsWith("time"))
        && fraction
        && (name.equals(org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME)
            || name.equals(org.apache.kafka.connect.data.Time.LOGICAL_NAME))) {
      return "arrives in milliseconds (time.precision.mode=connect); set adaptive_time_microseconds";
    }
    if ((type.contains("blob") || type.contains("binary")) && t == Schema.Type.STRING) {
      return "arrives as text (binary.handling.mode=base64 or hex); set binary.handling.mode=bytes";
    }
    return null;
  }
}
