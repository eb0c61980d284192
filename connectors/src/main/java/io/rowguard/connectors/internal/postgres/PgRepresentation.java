package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.internal.LossyColumns;
import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.apache.kafka.connect.data.Schema;

/**
 * Which columns of a PostgreSQL table a Debezium connector configured by someone else sends in a
 * form that loses part of the value (doubles for numerics, intervals in microseconds with months as
 * 30 days, milliseconds for microsecond times, text for bytea): a journal built from such topics
 * would write back something else than the row had.
 */
final class PgRepresentation {
  private PgRepresentation() {}

  static List<String> lossyColumns(Connection c, TableId table, Schema row) throws SQLException {
    return LossyColumns.of(
        c,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
            + " JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n"
            + " ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?"
            + " AND a.attnum > 0 AND NOT a.attisdropped",
        table,
        row,
        (type, schema) -> problem(type.replace("[]", ""), element(schema)));
  }

  private static Schema element(Schema s) {
    return s.type() == Schema.Type.ARRAY ? element(s.valueSchema()) : s;
  }

  private static String problem(String type, Schema s) {
    String name = s.name() == null ? "" : s.name();
    Schema.Type t = s.type();
    if ((type.startsWith("numeric") || type.equals("money"))
        && (t == Schema.Type.FLOAT64 || t == Schema.Type.FLOAT32)) {
      return "arrives as a double (decimal.handling.mode=double); set"
          + " decimal.handling.mode=string";
    }
    if (type.startsWith("numeric")
        && (name.equals(org.apache.kafka.connect.data.Decimal.LOGICAL_NAME)
            || name.equals("io.debezium.data.VariableScaleDecimal"))) {
      return "NaN and Infinity arrive as NULL (decimal.handling.mode=precise); set"
          + " decimal.handling.mode=string";
    }
    if (type.startsWith("interval")
        && !name.equals("io.debezium.time.Interval")
        && t != Schema.Type.STRING) {
      return "arrives in microseconds, months counted as 30 days (interval.handling.mode=numeric);"
          + " set interval.handling.mode=string";
    }
    boolean micros = !type.matches(".*\\([0-3]\\).*");
    if ((type.startsWith("timestamp") || type.startsWith("time"))
        && micros
        && (name.equals(org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME)
            || name.equals(org.apache.kafka.connect.data.Time.LOGICAL_NAME)
            || name.equals("io.debezium.time.Timestamp")
            || name.equals("io.debezium.time.Time"))) {
      return "arrives in milliseconds (time.precision.mode=connect); set adaptive or"
          + " adaptive_time_microseconds";
    }
    if (type.equals("bytea") && t == Schema.Type.STRING) {
      return "arrives as text (binary.handling.mode=base64 or hex); set binary.handling.mode=bytes";
    }
    return null;
  }
}
