package io.rowguard.replay.internal.mysql;

import io.rowguard.core.ValueSchema;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * A journaled binlog value as MySQL and MariaDB take it back: what Debezium made of a column
 * (microseconds since the epoch for a {@code datetime}, days for a {@code date}, little-endian
 * bytes for a {@code bit}, a UTC string for a {@code timestamp}, WKB and SRID for a geometry)
 * turned into the parameter or literal the server reads as the same value. The session runs at time
 * zone {@code +00:00}, as the binlog's {@code timestamp} values are.
 */
public final class MySqlValues {
  private static final DateTimeFormatter DATETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private MySqlValues() {}

  /** Binds {@code value} as parameter {@code index}. */
  public static void bind(PreparedStatement ps, int index, Object value, ValueSchema schema)
      throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.NULL);
      return;
    }
    String logical = schema.logicalName() == null ? "" : schema.logicalName();
    switch (logical) {
      case "io.debezium.time.MicroTimestamp" -> ps.setString(index, datetime((Long) value, 1));
      case "io.debezium.time.Timestamp" -> ps.setString(index, datetime((Long) value, 1000));
      case "io.debezium.time.NanoTimestamp" ->
          ps.setString(index, datetime(Math.floorDiv((Long) value, 1000L), 1));
      case "io.debezium.time.Date" ->
          ps.setString(index, LocalDate.ofEpochDay(((Number) value).longValue()).toString());
      case "io.debezium.time.MicroTime" -> ps.setString(index, time(((Number) value).longValue()));
      case "io.debezium.time.Time" ->
          ps.setString(index, time(((Number) value).longValue() * 1000L));
      case "io.debezium.time.ZonedTimestamp" -> ps.setString(index, zoned((String) value));
      case "io.debezium.data.Bits" -> ps.setBytes(index, bigEndian((byte[]) value));
      case "io.debezium.data.geometry.Geometry",
          "io.debezium.data.geometry.Point",
          "io.debezium.data.geometry.Geography" ->
          ps.setBytes(index, internalGeometry(value));
      default -> bindPlain(ps, index, value);
    }
  }

  private static void bindPlain(PreparedStatement ps, int index, Object value) throws SQLException {
    if (value instanceof String s) {
      ps.setString(index, s);
    } else if (value instanceof Long l) {
      ps.setLong(index, l);
    } else if (value instanceof Integer i) {
      ps.setInt(index, i);
    } else if (value instanceof Short s) {
      ps.setShort(index, s);
    } else if (value instanceof Byte b) {
      ps.setByte(index, b);
    } else if (value instanceof Double d) {
      ps.setDouble(index, d);
    } else if (value instanceof Float f) {
      ps.setFloat(index, f);
    } else if (value instanceof Boolean b) {
      ps.setBoolean(index, b);
    } else if (value instanceof byte[] b) {
      ps.setBytes(index, b);
    } else {
      ps.setString(index, value.toString());
    }
  }

  /** {@code value} as a SQL literal, for plans people read. */
  public static String literal(Object value, ValueSchema schema) {
    if (value == null) {
      return "NULL";
    }
    String logical = schema.logicalName() == null ? "" : schema.logicalName();
    return switch (logical) {
      case "io.debezium.time.MicroTimestamp" -> stringLiteral(datetime((Long) value, 1));
      case "io.debezium.time.Timestamp" -> stringLiteral(datetime((Long) value, 1000));
      case "io.debezium.time.Date" ->
          stringLiteral(LocalDate.ofEpochDay(((Number) value).longValue()).toString());
      case "io.debezium.time.MicroTime" -> stringLiteral(time(((Number) value).longValue()));
      case "io.debezium.time.ZonedTimestamp" -> stringLiteral(zoned((String) value));
      case "io.debezium.data.Bits" ->
          "X'" + HexFormat.of().formatHex(bigEndian((byte[]) value)) + "'";
      case "io.debezium.data.geometry.Geometry",
          "io.debezium.data.geometry.Point",
          "io.debezium.data.geometry.Geography" ->
          "X'" + HexFormat.of().formatHex(internalGeometry(value)) + "'";
      default -> {
        if (value instanceof String s) {
          yield stringLiteral(s);
        }
        if (value instanceof byte[] b) {
          yield "X'" + HexFormat.of().formatHex(b) + "'";
        }
        if (value instanceof Boolean b) {
          yield b ? "1" : "0";
        }
        yield value.toString();
      }
    };
  }

  static String stringLiteral(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('\'');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\'' -> sb.append("''");
        case '\\' -> sb.append("\\\\");
        case '\0' -> sb.append("\\0");
        default -> sb.append(c);
      }
    }
    return sb.append('\'').toString();
  }

  private static String datetime(long value, long microsPerUnit) {
    long micros = value * microsPerUnit;
    LocalDateTime t =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L),
            (int) Math.floorMod(micros, 1_000_000L) * 1000,
            ZoneOffset.UTC);
    return DATETIME.format(t);
  }

  /** A TIME, which may be negative or past 24 hours in MySQL. */
  private static String time(long micros) {
    String sign = micros < 0 ? "-" : "";
    long m = Math.abs(micros);
    long seconds = m / 1_000_000L;
    return String.format(
        "%s%02d:%02d:%02d.%06d",
        sign, seconds / 3600, (seconds / 60) % 60, seconds % 60, m % 1_000_000L);
  }

  private static String zoned(String iso) {
    Instant i = OffsetDateTime.parse(iso).toInstant();
    return DATETIME.format(LocalDateTime.ofInstant(i, ZoneOffset.UTC));
  }

  /** Debezium gives a {@code bit(n)} least significant byte first; MySQL reads it the other way. */
  private static byte[] bigEndian(byte[] littleEndian) {
    byte[] out = new byte[littleEndian.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = littleEndian[littleEndian.length - 1 - i];
    }
    return out;
  }

  /** MySQL's own geometry format: the SRID (4 bytes, little-endian), then the WKB. */
  private static byte[] internalGeometry(Object value) {
    // a Geometry is (wkb, srid); a Point (x, y, wkb, srid)
    List<?> fields = (List<?>) value;
    byte[] wkb = null;
    for (Object f : fields) {
      if (f instanceof byte[] b) {
        wkb = b;
      }
    }
    Object srid = fields.get(fields.size() - 1);
    srid = srid instanceof Number ? srid : null;
    return ByteBuffer.allocate(4 + wkb.length)
        .order(ByteOrder.LITTLE_ENDIAN)
        .putInt(srid == null ? 0 : ((Number) srid).intValue())
        .put(wkb)
        .array();
  }
}
