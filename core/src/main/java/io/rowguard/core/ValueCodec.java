package io.rowguard.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The exact binary form of values and rows. Every value decodes to an equal value of the class its
 * {@link ValueType} names: floating point keeps its bit pattern (NaN, -0.0, infinities), strings
 * are UTF-8, bytes are copied, nothing is rounded or reformatted.
 *
 * <p>A row is a null bitmap followed by its non-null values; values nested in arrays, structs and
 * maps carry a one-byte null marker each.
 */
public final class ValueCodec {
  private ValueCodec() {}

  public static void writeRow(BinaryWriter out, Row row) {
    TableSchema schema = row.schema();
    int n = schema.size();
    int bitmap = 0;
    for (int i = 0; i < n; i++) {
      if (row.get(i) == null) {
        bitmap |= 1 << (i & 7);
      }
      if ((i & 7) == 7 || i == n - 1) {
        out.writeByte(bitmap);
        bitmap = 0;
      }
    }
    for (int i = 0; i < n; i++) {
      Object v = row.get(i);
      if (v != null) {
        writeValue(out, schema.column(i).schema(), v, schema.column(i).name());
      }
    }
  }

  public static Row readRow(BinaryReader in, TableSchema schema) {
    return readRow(in, schema, null, null);
  }

  /**
   * Reads a row, taking each string value from {@code like} or else {@code orLike} (rows of the
   * same schema, or null) where it is equal: an update's unchanged columns, or the constant a mass
   * write set, are then held once.
   */
  public static Row readRow(BinaryReader in, TableSchema schema, Row like, Row orLike) {
    Row first = like != null && like.schema() == schema ? like : null;
    Row second = orLike != null && orLike.schema() == schema ? orLike : null;
    int n = schema.size();
    Object[] values = new Object[n];
    if (n <= Long.SIZE) { // the null bitmap in a long: no array per row read
      long nulls = 0;
      for (int b = 0; b < (n + 7) / 8; b++) {
        nulls |= (in.readByte() & 0xFFL) << (8 * b);
      }
      for (int i = 0; i < n; i++) {
        if ((nulls & (1L << i)) != 0) {
          continue;
        }
        ValueSchema vs = schema.column(i).schema();
        values[i] =
            vs.type() == ValueType.STRING && (first != null || second != null)
                ? in.readString(
                    first != null && first.get(i) instanceof String x ? x : null,
                    second != null && second.get(i) instanceof String y ? y : null)
                : readValue(in, vs);
      }
      return Row.of(schema, values);
    }
    byte[] nulls = in.readBytes((n + 7) / 8);
    for (int i = 0; i < n; i++) {
      boolean isNull = (nulls[i >> 3] & (1 << (i & 7))) != 0;
      values[i] = isNull ? null : readValue(in, schema.column(i).schema());
    }
    return Row.of(schema, values);
  }

  /** Writes a non-null value. */
  public static void writeValue(BinaryWriter out, ValueSchema schema, Object v, String where) {
    if (v == Row.UNAVAILABLE || v == Row.MISSING) {
      throw new IllegalArgumentException(
          "refusing to encode an unavailable-value placeholder for " + where);
    }
    try {
      switch (schema.type()) {
        case BOOLEAN -> out.writeByte((Boolean) v ? 1 : 0);
        case INT8, INT16, INT32, INT64 -> out.writeSignedVarLong(((Number) v).longValue());
        case FLOAT32 -> out.writeInt(Float.floatToRawIntBits((Float) v));
        case FLOAT64 -> out.writeLong(Double.doubleToRawLongBits((Double) v));
        case STRING -> out.writeString((String) v);
        case BYTES -> out.writeBlob((byte[]) v);
        case ARRAY -> {
          List<?> list = (List<?>) v;
          out.writeVarLong(list.size());
          for (Object e : list) {
            writeNullable(out, schema.element(), e, where);
          }
        }
        case STRUCT -> {
          List<?> list = (List<?>) v;
          if (list.size() != schema.fields().size()) {
            throw new IllegalArgumentException(
                "struct "
                    + where
                    + " has "
                    + list.size()
                    + " values for "
                    + schema.fields().size()
                    + " fields");
          }
          for (int i = 0; i < list.size(); i++) {
            writeNullable(out, schema.fields().get(i).schema(), list.get(i), where);
          }
        }
        case MAP -> {
          Map<?, ?> map = (Map<?, ?>) v;
          out.writeVarLong(map.size());
          for (Map.Entry<?, ?> e : map.entrySet()) {
            writeNullable(out, schema.element(), e.getKey(), where);
            writeNullable(out, schema.mapValue(), e.getValue(), where);
          }
        }
        default -> throw new IllegalStateException("unhandled type " + schema.type());
      }
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(
          "value of " + where + " is a " + v.getClass().getSimpleName() + ", not " + schema.type(),
          e);
    }
  }

  private static void writeNullable(BinaryWriter out, ValueSchema schema, Object v, String where) {
    if (v == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1);
      writeValue(out, schema, v, where);
    }
  }

  public static Object readValue(BinaryReader in, ValueSchema schema) {
    return switch (schema.type()) {
      case BOOLEAN -> in.readByte() != 0;
      case INT8 -> (byte) in.readSignedVarLong();
      case INT16 -> (short) in.readSignedVarLong();
      case INT32 -> (int) in.readSignedVarLong();
      case INT64 -> in.readSignedVarLong();
      case FLOAT32 -> Float.intBitsToFloat(in.readInt());
      case FLOAT64 -> Double.longBitsToDouble(in.readLong());
      case STRING -> in.readString();
      case BYTES -> in.readBlob();
      case ARRAY -> {
        int n = in.readVarInt();
        List<Object> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(readNullable(in, schema.element()));
        }
        yield list;
      }
      case STRUCT -> {
        List<Object> list = new ArrayList<>(schema.fields().size());
        for (ValueSchema.Field f : schema.fields()) {
          list.add(readNullable(in, f.schema()));
        }
        yield list;
      }
      case MAP -> {
        int n = in.readVarInt();
        Map<Object, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          map.put(readNullable(in, schema.element()), readNullable(in, schema.mapValue()));
        }
        yield map;
      }
    };
  }

  private static Object readNullable(BinaryReader in, ValueSchema schema) {
    return in.readByte() == 0 ? null : readValue(in, schema);
  }
}
