package io.rowguard.connectors.internal.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.internal.Source;
import io.rowguard.core.TableId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * Debezium's records written without schemas ({@code schemas.enable=false}), typed again: the row
 * images by the table's catalog (the column types the connector's schema would have named), the
 * rest ({@code source}, {@code transaction}, BEGIN/END) by the JSON itself. Every schema is
 * interned, so that each distinct one is one object, as {@code JsonConverter}'s cache gives.
 */
final class Schemaless {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Source source;
  private final boolean microTimes;
  private final Map<RowKey, Schema> rows = new HashMap<>();
  private final Map<Schema, Schema> interned = new HashMap<>();
  private final Map<Schema, Schema> keys = new java.util.IdentityHashMap<>();
  private static final Schema TRANSACTION =
      SchemaBuilder.struct()
          .optional()
          .field("id", Schema.OPTIONAL_STRING_SCHEMA)
          .field("total_order", Schema.OPTIONAL_INT64_SCHEMA)
          .field("data_collection_order", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private record RowKey(TableId table, List<String> columns) {}

  /**
   * @param microTimes the connector's {@code time.precision.mode} is {@code
   *     adaptive_time_microseconds}
   */
  Schemaless(Source source, boolean microTimes) {
    this.source = source;
    this.microTimes = microTimes;
  }

  /** The value; {@code rowKey} the record's key JSON, typed from the same table. */
  SchemaAndValue[] read(byte[] keyJson, byte[] valueJson) throws IOException {
    JsonNode value = JSON.readTree(valueJson);
    if (!value.isObject() || !value.has("op") || !value.path("source").isObject()) {
      SchemaAndValue v = inferred(value);
      SchemaAndValue k = keyJson == null ? SchemaAndValue.NULL : inferred(JSON.readTree(keyJson));
      return new SchemaAndValue[] {k, v};
    }
    JsonNode src = value.get("source");
    String schema = src.hasNonNull("schema") ? src.get("schema").asText() : src.path("db").asText();
    TableId table = TableId.of(schema, src.path("table").asText());
    JsonNode image = value.path("after").isObject() ? value.get("after") : value.path("before");
    Schema row = image.isObject() ? row(table, image) : null;
    SchemaBuilder envelope = SchemaBuilder.struct();
    Map<String, Object> fields = new HashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = e.getKey();
      if ((name.equals("before") || name.equals("after")) && row != null) {
        envelope.field(name, row);
        fields.put(name, e.getValue().isObject() ? struct(row, e.getValue()) : null);
      } else if (name.equals("transaction")) {
        envelope.field(name, TRANSACTION);
        fields.put(name, e.getValue().isObject() ? struct(TRANSACTION, e.getValue()) : null);
      } else {
        SchemaAndValue v = inferred(e.getValue());
        envelope.field(name, v.schema());
        fields.put(name, v.value());
      }
    }
    Schema envelopeSchema = intern(envelope.build());
    Struct out = new Struct(envelopeSchema);
    fields.forEach(out::put);
    SchemaAndValue key = SchemaAndValue.NULL;
    if (keyJson != null) {
      JsonNode k = JSON.readTree(keyJson);
      if (k.isObject()) {
        Schema keySchema = keyOf(table, k);
        key = new SchemaAndValue(keySchema, struct(keySchema, k));
      }
    }
    return new SchemaAndValue[] {key, new SchemaAndValue(envelopeSchema, out)};
  }

  private Schema keyOf(TableId table, JsonNode key) {
    Schema s = row(table, key);
    return keys.computeIfAbsent(
        s,
        r -> {
          SchemaBuilder b = SchemaBuilder.struct();
          for (Field f : r.fields()) {
            b.field(f.name(), f.schema());
          }
          return intern(b.build());
        });
  }

  private Schema row(TableId table, JsonNode image) {
    List<String> columns = new ArrayList<>();
    image.fieldNames().forEachRemaining(columns::add);
    return rows.computeIfAbsent(
        new RowKey(table, columns), k -> intern(source.schemalessRow(table, columns, microTimes)));
  }

  private Schema intern(Schema s) {
    return interned.computeIfAbsent(s, x -> x);
  }

  private Struct struct(Schema schema, JsonNode node) {
    Struct s = new Struct(schema);
    for (Field f : schema.fields()) {
      s.put(f, value(f.schema(), node.get(f.name())));
    }
    return s;
  }

  private Object value(Schema schema, JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    try {
      return switch (schema.type()) {
        case INT8 -> (byte) n.asInt();
        case INT16 -> (short) n.asInt();
        case INT32 -> n.asInt();
        case INT64 -> n.asLong();
        case FLOAT32 -> (float) (n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble());
        case FLOAT64 -> n.isTextual() ? Double.parseDouble(n.asText()) : n.asDouble();
        case BOOLEAN -> n.asBoolean();
        case STRING -> text(schema, n);
        case BYTES -> n.binaryValue();
        case ARRAY -> {
          List<Object> out = new ArrayList<>();
          n.forEach(e -> out.add(value(schema.valueSchema(), e)));
          yield out;
        }
        case STRUCT -> struct(schema, n);
        case MAP -> {
          Map<Object, Object> out = new java.util.LinkedHashMap<>();
          n.fields()
              .forEachRemaining(
                  e -> out.put(e.getKey(), value(schema.valueSchema(), e.getValue())));
          yield out;
        }
      };
    } catch (IOException e) {
      throw new IllegalStateException("not base64: " + n, e);
    }
  }

  private static final java.util.regex.Pattern DECIMAL =
      java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?|NaN|-?Infinity");

  /**
   * Text as sent; a numeric or an interval must come as the text the exact connector settings give
   * (a precise decimal is base64, a double a number, a numeric interval a number of microseconds).
   */
  private static String text(Schema schema, JsonNode n) {
    String type =
        schema.parameters() == null ? "" : schema.parameters().getOrDefault(SOURCE_TYPE, "");
    if ((type.equals("NUMERIC") || type.equals("MONEY"))
        && (!n.isTextual()
            || !DECIMAL.matcher(n.textValue().replace(",", "").replace("$", "")).matches())) {
      throw new IllegalStateException(
          "a "
              + type.toLowerCase(java.util.Locale.ROOT)
              + " value arrives as "
              + n
              + ", not as its exact text: set decimal.handling.mode=string on the connector");
    }
    if (type.equals("INTERVAL") && (!n.isTextual() || !n.textValue().matches("-?P.*"))) {
      throw new IllegalStateException(
          "an interval arrives as "
              + n
              + ", not as ISO-8601 text: set interval.handling.mode=string on the connector");
    }
    return n.isTextual() ? n.textValue() : n.toString();
  }

  private static final String SOURCE_TYPE = "__debezium.source.column.type";

  /** A value typed by its JSON: objects as structs, whole numbers as INT64, text as STRING. */
  private SchemaAndValue inferred(JsonNode n) {
    if (n.isObject()) {
      SchemaBuilder b = SchemaBuilder.struct().optional();
      List<SchemaAndValue> values = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        SchemaAndValue v = inferred(e.getValue());
        b.field(e.getKey(), v.schema());
        values.add(v);
      }
      Schema schema = intern(b.build());
      Struct s = new Struct(schema);
      for (int i = 0; i < values.size(); i++) {
        s.put(schema.fields().get(i), values.get(i).value());
      }
      return new SchemaAndValue(schema, s);
    }
    if (n.isArray()) {
      Schema element = Schema.OPTIONAL_STRING_SCHEMA;
      List<SchemaAndValue> values = new ArrayList<>();
      for (JsonNode e : n) {
        SchemaAndValue v = inferred(e);
        values.add(v);
        if (!e.isNull()) {
          element = v.schema();
        }
      }
      List<Object> out = new ArrayList<>();
      values.forEach(v -> out.add(v.value()));
      return new SchemaAndValue(intern(SchemaBuilder.array(element).optional().build()), out);
    }
    if (n.isIntegralNumber()) {
      return new SchemaAndValue(Schema.OPTIONAL_INT64_SCHEMA, n.asLong());
    }
    if (n.isNumber()) {
      return new SchemaAndValue(Schema.OPTIONAL_FLOAT64_SCHEMA, n.asDouble());
    }
    if (n.isBoolean()) {
      return new SchemaAndValue(Schema.OPTIONAL_BOOLEAN_SCHEMA, n.asBoolean());
    }
    return new SchemaAndValue(Schema.OPTIONAL_STRING_SCHEMA, n.isNull() ? null : n.asText());
  }
}
