package io.rowguard.replay.internal.postgres;

import io.rowguard.core.ValueSchema;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A journaled value as PostgreSQL's text input form: the text that, cast to the column's type,
 * gives back exactly the value the row had. Floating point keeps NaN, infinities and -0; dates and
 * timestamps keep microseconds, BC years and infinity; bytea is hex.
 */
public final class PgText {
  /** Debezium dates infinite timestamps at the ends of the long range; anything this far out. */
  private static final long INFINITY_YEARS = 100_000;

  private PgText() {}

  /** The text form of a non-null value, or null for SQL NULL. */
  public static String of(Object v, ValueSchema schema) {
    if (v == null) {
      return null;
    }
    String logical = schema.logicalName() == null ? "" : schema.logicalName();
    switch (logical) {
      case "io.debezium.time.Date":
        return date(((Number) v).longValue());
      case "io.debezium.time.Time":
        return time(((Number) v).longValue() * 1_000L);
      case "io.debezium.time.MicroTime":
        return time(((Number) v).longValue());
      case "io.debezium.time.NanoTime":
        return time(((Number) v).longValue() / 1_000L);
      case "io.debezium.time.Timestamp":
        long ms = ((Number) v).longValue();
        if (Math.abs(ms) > 3_000_000_000_000_000L) {
          return ms > 0 ? "infinity" : "-infinity";
        }
        return timestamp(ms * 1_000L);
      case "io.debezium.time.MicroTimestamp":
        return timestamp(((Number) v).longValue());
      case "io.debezium.time.NanoTimestamp":
        return timestamp(Math.floorDiv(((Number) v).longValue(), 1_000L));
      case "io.debezium.time.ZonedTimestamp":
        return zonedTimestamp((String) v);
      default:
        break;
    }
    return switch (schema.type()) {
      case BOOLEAN -> (Boolean) v ? "t" : "f";
      case INT8, INT16, INT32, INT64 -> v.toString();
      case FLOAT32 -> floating(((Float) v).doubleValue(), Float.toString((Float) v));
      case FLOAT64 -> floating((Double) v, Double.toString((Double) v));
      case STRING -> (String) v;
      case BYTES -> bytes((byte[]) v, schema);
      case ARRAY -> array((List<?>) v, schema.element());
      case MAP -> hstore((Map<?, ?>) v);
      case STRUCT ->
          throw new IllegalArgumentException(
              "a " + (logical.isEmpty() ? "struct" : logical) + " value cannot be written back");
    };
  }

  private static String floating(double d, String text) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    return text;
  }

  private static String bytes(byte[] b, ValueSchema schema) {
    String source = schema.sourceType().toLowerCase(Locale.ROOT);
    if (source.isEmpty() || source.equals("bytea")) {
      StringBuilder sb = new StringBuilder(2 + b.length * 2).append("\\x");
      for (byte x : b) {
        sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
      }
      return sb.toString();
    }
    // types Debezium does not know arrive as the bytes of their text form
    return new String(b, StandardCharsets.UTF_8);
  }

  static String date(long epochDay) {
    LocalDate d = LocalDate.ofEpochDay(epochDay);
    if (Math.abs(d.getYear()) > INFINITY_YEARS) {
      return d.getYear() > 0 ? "infinity" : "-infinity";
    }
    return d.getYear() > 0
        ? d.toString()
        : String.format("%04d-%02d-%02d BC", 1 - d.getYear(), d.getMonthValue(), d.getDayOfMonth());
  }

  static String time(long micros) {
    if (micros == 86_400_000_000L) {
      return "24:00:00";
    }
    long s = micros / 1_000_000L;
    return String.format(
        "%02d:%02d:%02d.%06d", s / 3600, (s / 60) % 60, s % 60, micros % 1_000_000L);
  }

  static String timestamp(long micros) {
    LocalDateTime t =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L),
            (int) Math.floorMod(micros, 1_000_000L) * 1000,
            ZoneOffset.UTC);
    if (Math.abs(t.getYear()) > INFINITY_YEARS) {
      return t.getYear() > 0 ? "infinity" : "-infinity";
    }
    String clock =
        String.format(
            "%02d:%02d:%02d.%06d", t.getHour(), t.getMinute(), t.getSecond(), t.getNano() / 1000);
    return t.getYear() > 0
        ? String.format(
            "%04d-%02d-%02d %s", t.getYear(), t.getMonthValue(), t.getDayOfMonth(), clock)
        : String.format(
            "%04d-%02d-%02d %s BC", 1 - t.getYear(), t.getMonthValue(), t.getDayOfMonth(), clock);
  }

  /** Debezium's ISO-8601 UTC form; its infinity sentinels are far outside any real date. */
  static String zonedTimestamp(String iso) {
    if (iso.equalsIgnoreCase("infinity") || iso.equalsIgnoreCase("-infinity")) {
      return iso;
    }
    String year = iso.startsWith("+") || iso.startsWith("-") ? iso.substring(1) : iso;
    int dash = year.indexOf('-');
    if (dash > 6) {
      return iso.startsWith("-") ? "-infinity" : "infinity";
    }
    if (iso.startsWith("-")) {
      // ISO year -0043 is 44 BC
      java.time.OffsetDateTime t = java.time.OffsetDateTime.parse(iso);
      return String.format(
          "%04d-%02d-%02d %02d:%02d:%02d.%06d+00 BC",
          1 - t.getYear(),
          t.getMonthValue(),
          t.getDayOfMonth(),
          t.getHour(),
          t.getMinute(),
          t.getSecond(),
          t.getNano() / 1000);
    }
    return iso;
  }

  private static String array(List<?> list, ValueSchema element) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < list.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      String e = of(list.get(i), element);
      if (e == null) {
        sb.append("NULL");
      } else {
        sb.append('"').append(e.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    return sb.append('}').toString();
  }

  private static String hstore(Map<?, ?> map) {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(quote(String.valueOf(e.getKey()))).append("=>");
      sb.append(e.getValue() == null ? "NULL" : quote(String.valueOf(e.getValue())));
    }
    return sb.toString();
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  /** A SQL string literal (standard_conforming_strings on, the default since PostgreSQL 9.1). */
  public static String literal(String text) {
    if (text == null) {
      return "NULL";
    }
    return "'" + text.replace("'", "''") + "'";
  }
}
