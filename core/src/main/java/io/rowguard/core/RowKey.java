package io.rowguard.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A row's primary key: the key columns' names and values. Integer values of any width are held as
 * {@code Long} so that a key parsed from the command line equals the key the log delivered.
 *
 * <p>{@link #encode()} gives bytes that are self-delimiting (no key's encoding is a prefix of
 * another's with the same number of columns) and that sort like the values for integers and
 * strings, so a row's versions can be found with a prefix seek.
 */
public final class RowKey {
  private static final byte NULL = 0x01;
  private static final byte FALSE = 0x02;
  private static final byte TRUE = 0x03;
  private static final byte INTEGER = 0x10;
  private static final byte FLOATING = 0x20;
  private static final byte TEXT = 0x30;
  private static final byte BINARY = 0x40;

  private final List<String> columns;
  private final List<Object> values;
  // computed on first use: equal keys compute equal bytes, so a race only computes them twice;
  // volatile so that a thread that sees the array also sees its contents
  private volatile byte[] encoded;
  private int hash;

  private RowKey(List<String> columns, List<Object> values) {
    this.columns = columns;
    this.values = values;
  }

  public static RowKey of(List<String> columns, List<Object> values) {
    if (columns.size() != values.size() || columns.isEmpty()) {
      throw new IllegalArgumentException(
          "a key needs one value per column: columns=" + columns + " values=" + values.size());
    }
    return of(List.copyOf(columns), values.toArray());
  }

  /** Takes ownership of {@code values}; {@code columns} must be unmodifiable. */
  static RowKey of(List<String> columns, Object[] values) {
    boolean nulls = false;
    for (int i = 0; i < values.length; i++) {
      values[i] = normalize(values[i]);
      nulls |= values[i] == null;
    }
    // a plan holds a key per row: one small list rather than a wrapper around a copy
    return new RowKey(
        columns,
        nulls
            ? java.util.Collections.unmodifiableList(java.util.Arrays.asList(values))
            : List.of(values));
  }

  private static Object normalize(Object v) {
    if (v instanceof Byte || v instanceof Short || v instanceof Integer) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float f) {
      return f.doubleValue();
    }
    if (v instanceof byte[] b) {
      return b.clone(); // the key's encoding is cached: the caller's array must not change it
    }
    if (v == Row.UNAVAILABLE
        || v == Row.MISSING
        || v instanceof List<?>
        || v instanceof Map<?, ?>) {
      throw new IllegalArgumentException("a primary key value cannot be " + v);
    }
    return v;
  }

  /**
   * Parses a key as typed on the command line: a bare value for a one-column key, or {@code
   * col=value,col=value} for any key. Values are converted to the column's type; a comma or equals
   * sign inside a value is escaped with a backslash.
   */
  public static RowKey parse(String text, TableSchema schema) {
    List<String> keyColumns = schema.keyColumns();
    List<ValueSchema> keySchemas = schema.keySchemas();
    List<String> parts = splitUnescaped(text, ',');
    Map<String, String> byColumn = new LinkedHashMap<>();
    if (parts.size() == 1 && keyColumns.size() == 1 && indexOfUnescaped(parts.get(0), '=') < 0) {
      byColumn.put(keyColumns.get(0), unescape(parts.get(0)));
    } else {
      for (String part : parts) {
        int eq = indexOfUnescaped(part, '=');
        if (eq <= 0) {
          throw new InputException(
              "bad key '" + text + "' for " + schema.table() + ": expected " + example(keyColumns));
        }
        String column = unescape(part.substring(0, eq)).trim();
        if (schema.indexOf(column) < 0 || !keyColumns.contains(column)) {
          throw new InputException(
              "bad key '"
                  + text
                  + "': "
                  + column
                  + " is not a primary key column of "
                  + schema.table()
                  + " (key columns: "
                  + String.join(", ", keyColumns)
                  + ")");
        }
        if (byColumn.put(column, unescape(part.substring(eq + 1))) != null) {
          throw new InputException("bad key '" + text + "': column " + column + " given twice");
        }
      }
    }
    if (!byColumn.keySet().containsAll(keyColumns)) {
      throw new InputException(
          "bad key '" + text + "' for " + schema.table() + ": expected " + example(keyColumns));
    }
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < keyColumns.size(); i++) {
      String column = keyColumns.get(i);
      values.add(parseValue(byColumn.get(column), keySchemas.get(i), column, text));
    }
    return of(keyColumns, values);
  }

  private static String example(List<String> keyColumns) {
    if (keyColumns.size() == 1) {
      return "a value of " + keyColumns.get(0) + ", or " + keyColumns.get(0) + "=VALUE";
    }
    StringBuilder sb = new StringBuilder();
    for (String c : keyColumns) {
      sb.append(sb.length() == 0 ? "" : ",").append(c).append("=VALUE");
    }
    return sb.toString();
  }

  private static Object parseValue(String raw, ValueSchema schema, String column, String text) {
    try {
      String logical = schema.logicalName() == null ? "" : schema.logicalName();
      switch (logical) {
        case "io.debezium.time.Date":
          return (long) java.time.LocalDate.parse(raw.trim()).toEpochDay();
        case "io.debezium.time.Timestamp":
          return micros(raw) / 1000L;
        case "io.debezium.time.MicroTimestamp":
          return micros(raw);
        default:
          break;
      }
      return switch (schema.type()) {
        case INT8, INT16, INT32, INT64 -> Long.parseLong(raw.trim());
        case FLOAT32, FLOAT64 -> Double.parseDouble(raw.trim());
        case BOOLEAN -> parseBoolean(raw.trim());
        case BYTES -> parseHex(raw.trim());
        case STRING -> raw;
        default ->
            throw new InputException(
                "column "
                    + column
                    + " has type "
                    + schema.type()
                    + ", which rowguard cannot use as"
                    + " a key");
      };
    } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
      throw new InputException(
          "bad key '"
              + text
              + "': "
              + column
              + " needs "
              + describe(schema)
              + ", got '"
              + raw
              + "'");
    }
  }

  private static long micros(String raw) {
    java.time.Instant i =
        java.time.LocalDateTime.parse(raw.trim().replace(' ', 'T'))
            .toInstant(java.time.ZoneOffset.UTC);
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }

  private static String describe(ValueSchema schema) {
    String logical = schema.logicalName() == null ? "" : schema.logicalName();
    if (logical.equals("io.debezium.time.Date")) {
      return "a date such as 2024-02-29";
    }
    if (logical.endsWith("Timestamp") && schema.type() == ValueType.INT64) {
      return "a timestamp such as 2024-02-29T12:00:00.000001";
    }
    return switch (schema.type()) {
      case INT8, INT16, INT32, INT64 -> "a whole number";
      case FLOAT32, FLOAT64 -> "a number";
      case BOOLEAN -> "true or false";
      case BYTES -> "hex bytes such as \\x0a0b";
      default -> "a value";
    };
  }

  private static Boolean parseBoolean(String raw) {
    return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "t", "1" -> Boolean.TRUE;
      case "false", "f", "0" -> Boolean.FALSE;
      default -> throw new NumberFormatException(raw);
    };
  }

  private static byte[] parseHex(String raw) {
    String hex = raw.startsWith("\\x") || raw.startsWith("0x") ? raw.substring(2) : raw;
    if (hex.length() % 2 != 0) {
      throw new NumberFormatException(raw);
    }
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new NumberFormatException(raw);
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return out;
  }

  private static List<String> splitUnescaped(String text, char separator) {
    List<String> parts = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == separator) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }

  private static int indexOfUnescaped(String text, char wanted) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == wanted) {
        return i;
      }
    }
    return -1;
  }

  private static String unescape(String text) {
    if (text.indexOf('\\') < 0) {
      return text;
    }
    StringBuilder sb = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\'
          && i + 1 < text.length()
          && (text.charAt(i + 1) == ','
              || text.charAt(i + 1) == '='
              || text.charAt(i + 1) == '\\')) {
        sb.append(text.charAt(++i));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  public List<String> columns() {
    return columns;
  }

  public List<Object> values() {
    return values;
  }

  /** Self-delimiting, order-preserving bytes for use in journal index keys. */
  public byte[] encode() {
    return encoded().clone();
  }

  private byte[] encoded() {
    byte[] e = encoded;
    if (e == null) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(16);
      for (Object v : values) {
        encodeValue(v, out);
      }
      e = out.toByteArray();
      encoded = e;
    }
    return e;
  }

  private static void encodeValue(Object v, ByteArrayOutputStream out) {
    if (v == null) {
      out.write(NULL);
    } else if (v instanceof Boolean b) {
      out.write(b ? TRUE : FALSE);
    } else if (v instanceof Long l) {
      out.write(INTEGER);
      writeLong(out, l ^ Long.MIN_VALUE);
    } else if (v instanceof Double d) {
      out.write(FLOATING);
      long bits = Double.doubleToLongBits(d);
      writeLong(out, bits < 0 ? ~bits : bits ^ Long.MIN_VALUE);
    } else if (v instanceof String s) {
      out.write(TEXT);
      writeEscaped(out, s.getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof byte[] bytes) {
      out.write(BINARY);
      writeEscaped(out, bytes);
    } else {
      out.write(TEXT);
      writeEscaped(out, v.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private static void writeLong(ByteArrayOutputStream out, long v) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (v >>> shift));
    }
  }

  /** 0x00 becomes 0x00 0xFF; the value ends with 0x00 0x01, which sorts before any content. */
  private static void writeEscaped(ByteArrayOutputStream out, byte[] bytes) {
    for (byte b : bytes) {
      out.write(b);
      if (b == 0) {
        out.write(0xFF);
      }
    }
    out.write(0);
    out.write(1);
  }

  /** {@code 42} for a one-column key, {@code a=1,b=x} for a composite key. */
  @Override
  public String toString() {
    if (values.size() == 1) {
      return render(values.get(0));
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(columns.get(i)).append('=').append(render(values.get(i)));
    }
    return sb.toString();
  }

  private static String render(Object v) {
    if (v instanceof byte[] b) {
      StringBuilder sb = new StringBuilder("\\x");
      for (byte x : b) {
        sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
      }
      return sb.toString();
    }
    return String.valueOf(v).replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowKey other
        && Arrays.equals(encoded(), other.encoded())
        && columns.equals(other.columns);
  }

  /**
   * FNV-1a over the encoding: {@link Arrays#hashCode(byte[])} gives the same value to many
   * sequential integer keys (its multiplier 31 is smaller than a byte's range), which turns hash
   * maps of keys into trees.
   */
  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = fnv(0xcbf29ce484222325L ^ columns.hashCode());
      hash = h == 0 ? 1 : h;
      h = hash;
    }
    return h;
  }

  /**
   * True when both keys name the same row as the journal's row index does, by their values'
   * encoding, whatever the key columns are called (a key column renamed in between).
   */
  public boolean sameRow(RowKey other) {
    return Arrays.equals(encoded(), other.encoded());
  }

  /** A hash that agrees with {@link #sameRow}. */
  public int rowHash() {
    return fnv(0xcbf29ce484222325L);
  }

  private int fnv(long seed) {
    long x = seed;
    for (byte b : encoded()) {
      x = (x ^ (b & 0xFF)) * 0x100000001b3L;
    }
    return (int) (x ^ (x >>> 32));
  }
}
