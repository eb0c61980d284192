package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.Column;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The stored form of a {@link TableSchema}; each distinct schema is stored once. */
public final class SchemaCodec {
  private static final int VERSION = 1;

  private SchemaCodec() {}

  public static byte[] encode(TableSchema schema) {
    BinaryWriter out = new BinaryWriter();
    out.writeByte(VERSION);
    out.writeString(schema.table().schema());
    out.writeString(schema.table().name());
    out.writeVarLong(schema.columns().size());
    for (Column c : schema.columns()) {
      out.writeString(c.name());
      writeValueSchema(out, c.schema());
    }
    out.writeVarLong(schema.keyColumns().size());
    for (String k : schema.keyColumns()) {
      out.writeString(k);
    }
    return out.toByteArray();
  }

  public static TableSchema decode(byte[] bytes) {
    BinaryReader in = new BinaryReader(bytes);
    int version = in.readByte();
    if (version != VERSION) {
      throw new IllegalStateException("unknown schema record version " + version);
    }
    TableId table = TableId.of(in.readString(), in.readString());
    int n = in.readVarInt();
    List<Column> columns = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      columns.add(new Column(in.readString(), readValueSchema(in)));
    }
    int k = in.readVarInt();
    List<String> key = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      key.add(in.readString());
    }
    return new TableSchema(table, columns, key);
  }

  private static void writeValueSchema(BinaryWriter out, ValueSchema s) {
    out.writeByte(s.type().ordinal());
    out.writeNullableString(s.logicalName());
    out.writeByte(s.optional() ? 1 : 0);
    Map<String, String> params = new TreeMap<>(s.parameters());
    out.writeVarLong(params.size());
    params.forEach(
        (k, v) -> {
          out.writeString(k);
          out.writeNullableString(v);
        });
    switch (s.type()) {
      case ARRAY -> writeValueSchema(out, s.element());
      case MAP -> {
        writeValueSchema(out, s.element());
        writeValueSchema(out, s.mapValue());
      }
      case STRUCT -> {
        out.writeVarLong(s.fields().size());
        for (ValueSchema.Field f : s.fields()) {
          out.writeString(f.name());
          writeValueSchema(out, f.schema());
        }
      }
      default -> {}
    }
  }

  private static ValueSchema readValueSchema(BinaryReader in) {
    ValueType type = ValueType.values()[in.readByte()];
    String logical = in.readNullableString();
    boolean optional = in.readByte() != 0;
    int p = in.readVarInt();
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < p; i++) {
      params.put(in.readString(), in.readNullableString());
    }
    ValueSchema element = null;
    ValueSchema mapValue = null;
    List<ValueSchema.Field> fields = List.of();
    switch (type) {
      case ARRAY -> element = readValueSchema(in);
      case MAP -> {
        element = readValueSchema(in);
        mapValue = readValueSchema(in);
      }
      case STRUCT -> {
        int n = in.readVarInt();
        fields = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          fields.add(new ValueSchema.Field(in.readString(), readValueSchema(in)));
        }
      }
      default -> {}
    }
    return new ValueSchema(type, logical, optional, element, mapValue, fields, params);
  }
}
