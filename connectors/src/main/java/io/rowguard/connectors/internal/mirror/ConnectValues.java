package io.rowguard.connectors.internal.mirror;

import io.rowguard.core.Column;
import io.rowguard.core.Row;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * The journal's schemas and values back into Kafka Connect's, as the Debezium connector that
 * captured them produced them: the inverse of what capture stored ({@code RecordTranslator}).
 * Parameters that are rowguard's own (column numbers) or that only rowguard asked Debezium for (the
 * source column types) are left out, so the schemas are those of a Debezium deployment with the
 * connector's default settings for them.
 */
final class ConnectValues {
  /** Debezium's semantic types ({@code io.debezium.*}) are all at version 1. */
  private static final String DEBEZIUM_TYPES = "io.debezium.";

  private ConnectValues() {}

  /** The before/after schema of a table: {@code <prefix>.<schema>.<table>.Value}. */
  static Schema rowSchema(String name, TableSchema table) {
    SchemaBuilder b = SchemaBuilder.struct().name(name).optional();
    for (Column c : table.columns()) {
      b.field(c.name(), schema(c.schema()));
    }
    return b.build();
  }

  /** The key schema of a table: its key columns, {@code <prefix>.<schema>.<table>.Key}. */
  static Schema keySchema(String name, TableSchema table) {
    SchemaBuilder b = SchemaBuilder.struct().name(name);
    for (String k : table.keyColumns()) {
      b.field(k, schema(table.column(table.indexOf(k)).schema()));
    }
    return b.build();
  }

  static Schema schema(ValueSchema s) {
    SchemaBuilder b;
    if (Decimal.LOGICAL_NAME.equals(s.logicalName())) {
      b = Decimal.builder(Integer.parseInt(s.parameters().getOrDefault(Decimal.SCALE_FIELD, "0")));
    } else {
      b =
          switch (s.type()) {
            case BOOLEAN -> SchemaBuilder.bool();
            case INT8 -> SchemaBuilder.int8();
            case INT16 -> SchemaBuilder.int16();
            case INT32 -> SchemaBuilder.int32();
            case INT64 -> SchemaBuilder.int64();
            case FLOAT32 -> SchemaBuilder.float32();
            case FLOAT64 -> SchemaBuilder.float64();
            case STRING -> SchemaBuilder.string();
            case BYTES -> SchemaBuilder.bytes();
            case ARRAY -> SchemaBuilder.array(schema(s.element()));
            case MAP -> SchemaBuilder.map(schema(s.element()), schema(s.mapValue()));
            case STRUCT -> {
              SchemaBuilder st = SchemaBuilder.struct();
              for (ValueSchema.Field f : s.fields()) {
                st.field(f.name(), schema(f.schema()));
              }
              yield st;
            }
          };
      if (s.logicalName() != null) {
        b.name(s.logicalName());
        if (s.logicalName().startsWith(DEBEZIUM_TYPES)) {
          b.version(1);
        }
      }
      Map<String, String> params = new LinkedHashMap<>();
      s.parameters()
          .forEach(
              (k, v) -> {
                if (!k.startsWith("__debezium.source.") && !k.equals(Column.NUMBER)) {
                  params.put(k, v);
                }
              });
      if (!params.isEmpty()) {
        b.parameters(params);
      }
    }
    if (s.optional()) {
      b.optional();
    }
    return b.build();
  }

  /** A row image as a Struct of {@code schema}, or null. */
  static Struct row(Schema schema, Row row) {
    if (row == null) {
      return null;
    }
    Struct s = new Struct(schema);
    List<org.apache.kafka.connect.data.Field> fields = schema.fields();
    for (int i = 0; i < fields.size(); i++) {
      org.apache.kafka.connect.data.Field f = fields.get(i);
      s.put(f, value(f.schema(), row.get(i)));
    }
    return s;
  }

  /** The key columns of {@code row} as a Struct of {@code keySchema}. */
  static Struct key(Schema keySchema, Row row) {
    Struct s = new Struct(keySchema);
    for (org.apache.kafka.connect.data.Field f : keySchema.fields()) {
      s.put(f, value(f.schema(), row.get(f.name())));
    }
    return s;
  }

  /** A journaled value as Connect holds a value of {@code schema}. */
  static Object value(Schema schema, Object v) {
    if (v == null || v == Row.MISSING || v == Row.UNAVAILABLE) {
      return null; // a value neither the log nor an earlier version had: Connect's null
    }
    String name = schema.name();
    if (Decimal.LOGICAL_NAME.equals(name)) {
      return new BigDecimal(v.toString());
    }
    if (org.apache.kafka.connect.data.Date.LOGICAL_NAME.equals(name)) {
      return new java.util.Date(((Number) v).longValue() * 86_400_000L);
    }
    if (org.apache.kafka.connect.data.Time.LOGICAL_NAME.equals(name)
        || org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME.equals(name)) {
      return new java.util.Date(((Number) v).longValue());
    }
    return switch (schema.type()) {
      case STRUCT -> {
        List<?> values = (List<?>) v;
        Struct st = new Struct(schema);
        List<org.apache.kafka.connect.data.Field> fields = schema.fields();
        for (int i = 0; i < fields.size(); i++) {
          st.put(fields.get(i), value(fields.get(i).schema(), values.get(i)));
        }
        yield st;
      }
      case ARRAY -> {
        List<Object> out = new ArrayList<>();
        for (Object e : (List<?>) v) {
          out.add(value(schema.valueSchema(), e));
        }
        yield out;
      }
      case MAP -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
          out.put(value(schema.keySchema(), e.getKey()), value(schema.valueSchema(), e.getValue()));
        }
        yield out;
      }
      default -> v;
    };
  }
}
