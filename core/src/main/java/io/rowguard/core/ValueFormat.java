package io.rowguard.core;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Renders values for people: dates and times in ISO-8601 (UTC, microseconds kept), bytes in
 * PostgreSQL's hex form, arrays as lists. For display only; write-back uses the exact values.
 */
public final class ValueFormat {
  private ValueFormat() {}

  public static String render(Object v, ValueSchema schema) {
    if (v == null) {
      return "NULL";
    }
    if (v == Row.UNAVAILABLE) {
      return "<unavailable>";
    }
    if (v == Row.MISSING) {
      return "<unknown>";
    }
    String logical = schema.logicalName() == null ? "" : schema.logicalName();
    try {
      switch (logical) {
        case "io.debezium.time.Date":
          return LocalDate.ofEpochDay(((Number) v).longValue()).toString();
        case "io.debezium.time.Time":
          return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000L).toString();
        case "io.debezium.time.MicroTime":
          return LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000L).toString();
        case "io.debezium.time.NanoTime":
          return LocalTime.ofNanoOfDay(((Number) v).longValue()).toString();
        case "io.debezium.time.Timestamp":
          return timestamp(((Number) v).longValue() * 1_000L);
        case "io.debezium.time.MicroTimestamp":
          return timestamp(((Number) v).longValue());
        case "io.debezium.time.NanoTimestamp":
          long n = ((Number) v).longValue();
          return LocalDateTime.ofEpochSecond(
                  Math.floorDiv(n, 1_000_000_000L),
                  (int) Math.floorMod(n, 1_000_000_000L),
                  ZoneOffset.UTC)
              .toString();
        default:
          break;
      }
    } catch (RuntimeException e) {
      return String.valueOf(v);
    }
    if (v instanceof byte[] b) {
      return hex(b);
    }
    if (v instanceof List<?> list) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          sb.append(", ");
        }
        ValueSchema element =
            schema.type() == ValueType.STRUCT
                ? schema.fields().get(i).schema()
                : schema.element() != null ? schema.element() : ValueSchema.of(ValueType.STRING);
        sb.append(render(list.get(i), element));
      }
      return sb.append(']').toString();
    }
    if (v instanceof Map<?, ?> map) {
      return map.toString();
    }
    return v.toString();
  }

  /** Microseconds since the epoch as {@code 2026-11-23T10:15:30.123456}, without a zone. */
  public static String timestamp(long micros) {
    return LocalDateTime.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L),
            (int) Math.floorMod(micros, 1_000_000L) * 1000,
            ZoneOffset.UTC)
        .toString();
  }

  /** A commit time as ISO-8601 UTC with microseconds, e.g. {@code 2026-11-23T10:15:30.123456Z}. */
  public static String instant(long micros) {
    return Instant.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000)
        .toString();
  }

  public static String hex(byte[] bytes) {
    StringBuilder sb = new StringBuilder(2 + bytes.length * 2).append("\\x");
    for (byte x : bytes) {
      sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
    }
    return sb.toString();
  }
}
