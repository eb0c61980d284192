package io.rowguard.connectors.internal.postgres;

import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * The Connect schema Debezium's PostgreSQL connector gives a table's columns, from the catalog: for
 * topics written without schemas ({@code JsonConverter} with {@code schemas.enable=false}), whose
 * records do not say a number's type. It follows the connector settings exact values need ({@code
 * decimal.handling.mode=string}, {@code interval.handling.mode=string}, {@code
 * binary.handling.mode=bytes}) and {@code time.precision.mode} as given.
 */
final class PgSchemas {
  private static final String SOURCE_TYPE = "__debezium.source.column.type";
  private static final Pattern PRECISION = Pattern.compile("\\((\\d+)\\)");

  private PgSchemas() {}

  /**
   * @param columns the columns the records carry, in their order
   * @param microTimes {@code time.precision.mode=adaptive_time_microseconds}: every time column in
   *     microseconds
   */
  static Schema row(Connection c, TableId table, List<String> columns, boolean microTimes)
      throws SQLException {
    Map<String, String[]> types = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT a.attname, CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END,"
                + " format_type(a.atttypid, a.atttypmod),"
                + " CASE WHEN t.typtype = 'd' THEN bt.typtype ELSE t.typtype END,"
                + " et.typname, et.typtype"
                + " FROM pg_attribute a JOIN pg_class r ON r.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = r.relnamespace"
                + " JOIN pg_type t ON t.oid = a.atttypid"
                + " LEFT JOIN pg_type bt ON bt.oid = t.typbasetype"
                + " LEFT JOIN pg_type et ON et.oid = (CASE WHEN t.typtype = 'd' THEN bt.typelem"
                + " ELSE t.typelem END) AND (CASE WHEN t.typtype = 'd' THEN bt.typcategory"
                + " ELSE t.typcategory END) = 'A'"
                + " WHERE n.nspname = ? AND r.relname = ? AND a.attnum > 0"
                + " AND NOT a.attisdropped")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          types.put(
              rs.getString(1),
              new String[] {
                rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6)
              });
        }
      }
    }
    SchemaBuilder row = SchemaBuilder.struct().optional();
    List<String> unknown = new ArrayList<>();
    for (String column : columns) {
      String[] t = types.get(column);
      Schema s = null;
      if (t != null) {
        s =
            t[3] != null
                ? SchemaBuilder.array(column(t[3], t[3], t[4], microTimes)).optional().build()
                : column(t[0], t[1], t[2], microTimes);
      }
      if (s == null) {
        unknown.add(column + (t == null ? " (not in the table)" : " (" + t[1] + ")"));
      } else {
        row.field(column, s);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalStateException(
          "records of "
              + table
              + " without schemas carry columns rowguard cannot type from the catalog: "
              + String.join(", ", unknown)
              + " (write the topic with schemas: value.converter.schemas.enable=true)");
    }
    return row.build();
  }

  private static Schema column(String type, String formatted, String kind, boolean microTimes) {
    int precision = precision(formatted);
    SchemaBuilder b =
        switch (type) {
          case "int2" -> SchemaBuilder.int16();
          case "int4" -> SchemaBuilder.int32();
          case "int8", "oid" -> SchemaBuilder.int64();
          case "float4" -> SchemaBuilder.float32();
          case "float8" -> SchemaBuilder.float64();
          case "bool" -> SchemaBuilder.bool();
          case "bytea" -> SchemaBuilder.bytes();
          case "date" -> SchemaBuilder.int32().name("io.debezium.time.Date");
          case "time" ->
              !microTimes && precision >= 0 && precision <= 3
                  ? SchemaBuilder.int32().name("io.debezium.time.Time")
                  : SchemaBuilder.int64().name("io.debezium.time.MicroTime");
          case "timestamp" ->
              precision >= 0 && precision <= 3
                  ? SchemaBuilder.int64().name("io.debezium.time.Timestamp")
                  : SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp");
          case "timestamptz" -> SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp");
          case "timetz" -> SchemaBuilder.string().name("io.debezium.time.ZonedTime");
          case "interval" -> SchemaBuilder.string().name("io.debezium.time.Interval");
          case "uuid" -> SchemaBuilder.string().name("io.debezium.data.Uuid");
          case "json", "jsonb", "hstore" -> SchemaBuilder.string().name("io.debezium.data.Json");
          case "xml" -> SchemaBuilder.string().name("io.debezium.data.Xml");
          case "varbit" ->
              SchemaBuilder.bytes()
                  .name("io.debezium.data.Bits")
                  .parameter("length", Integer.toString(Math.max(precision, 0)));
          case "bit" ->
              precision == 1 || precision < 0
                  ? SchemaBuilder.bool()
                  : SchemaBuilder.bytes()
                      .name("io.debezium.data.Bits")
                      .parameter("length", Integer.toString(precision));
          case "numeric",
              "money",
              "text",
              "varchar",
              "bpchar",
              "char",
              "name",
              "citext",
              "inet",
              "cidr",
              "macaddr",
              "macaddr8",
              "tsvector",
              "tsquery",
              "ltree",
              "int4range",
              "int8range",
              "numrange",
              "tsrange",
              "tstzrange",
              "daterange" ->
              SchemaBuilder.string();
          default -> "e".equals(kind) ? SchemaBuilder.string().name("io.debezium.data.Enum") : null;
        };
    // the column's type, as Debezium's column.propagate.source.type names it
    return b == null
        ? null
        : b.optional().parameter(SOURCE_TYPE, type.toUpperCase(java.util.Locale.ROOT)).build();
  }

  private static int precision(String formatted) {
    Matcher m = PRECISION.matcher(formatted);
    if (m.find()) {
      return Integer.parseInt(m.group(1));
    }
    return -1;
  }
}
