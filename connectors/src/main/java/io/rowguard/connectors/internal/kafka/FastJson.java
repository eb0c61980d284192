package io.rowguard.connectors.internal.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Reads {@code JsonConverter}'s envelopes ({@code {"schema": …, "payload": …}}) the way it does, at
 * a fraction of its cost: every record of a table repeats the same kilobyte of schema, so the
 * schema is recognised by its bytes (compared, not parsed) and converted once; the payload is read
 * token by token straight into Connect values, without a JSON tree. What it does not recognise (the
 * payload before the schema) goes to {@code JsonConverter} itself. {@code FastJsonTest} holds it to
 * {@code JsonConverter}'s results.
 */
final class FastJson {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final JsonConverter converter;
  private final Map<SchemaBytes, Schema> schemas = new HashMap<>();
  private byte[] lastBytes = new byte[0];
  private int lastFrom;
  private int lastTo;
  private Schema last;

  /**
   * @param converter configured like the topics' writer, for schemas and what this cannot read
   */
  FastJson(JsonConverter converter) {
    this.converter = converter;
  }

  private static final byte[] START =
      "{\"schema\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final byte[] PAYLOAD =
      ",\"payload\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  SchemaAndValue read(String topic, byte[] json) {
    int payload = START.length + lastTo - lastFrom;
    if (last != null
        && json.length > payload + PAYLOAD.length
        && Arrays.equals(json, 0, START.length, START, 0, START.length)
        && Arrays.equals(json, START.length, payload, lastBytes, lastFrom, lastTo)
        && Arrays.equals(json, payload, payload + PAYLOAD.length, PAYLOAD, 0, PAYLOAD.length)) {
      // the same schema as the record before, byte for byte: only the payload is read
      int from = payload + PAYLOAD.length;
      try (JsonParser p = FACTORY.createParser(json, from, json.length - from)) {
        p.nextToken();
        return new SchemaAndValue(last, value(p, last));
      } catch (IOException e) {
        return converter.toConnectData(topic, json);
      }
    }
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME) {
        return converter.toConnectData(topic, json);
      }
      if (!"schema".equals(p.currentName())) {
        return converter.toConnectData(topic, json);
      }
      JsonToken t = p.nextToken();
      Schema schema = null;
      if (t == JsonToken.START_OBJECT) {
        int from = (int) p.currentTokenLocation().getByteOffset();
        p.skipChildren();
        int to = (int) p.currentTokenLocation().getByteOffset() + 1;
        schema = schema(json, from, to);
      } else if (t != JsonToken.VALUE_NULL) {
        return converter.toConnectData(topic, json);
      }
      if (p.nextToken() != JsonToken.FIELD_NAME || !"payload".equals(p.currentName())) {
        return converter.toConnectData(topic, json);
      }
      p.nextToken();
      if (schema == null) {
        return converter.toConnectData(topic, json);
      }
      return new SchemaAndValue(schema, value(p, schema));
    } catch (IOException e) {
      return converter.toConnectData(topic, json);
    }
  }

  private Schema schema(byte[] json, int from, int to) throws IOException {
    if (last != null && Arrays.equals(json, from, to, lastBytes, lastFrom, lastTo)) {
      return last; // nearly always: the same table as the record before
    }
    SchemaBytes key = new SchemaBytes(Arrays.copyOfRange(json, from, to));
    Schema s = schemas.get(key);
    if (s == null) {
      s = converter.asConnectSchema(MAPPER.readTree(key.bytes()));
      if (schemas.size() > 10_000) {
        schemas.clear();
      }
      schemas.put(key, s);
    }
    last = s;
    lastBytes = key.bytes();
    lastFrom = 0;
    lastTo = key.bytes().length;
    return s;
  }

  /** The value at the parser's current token, as {@code JsonConverter} converts it. */
  private static Object value(JsonParser p, Schema schema) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return null;
    }
    String logical = schema.name();
    if (logical != null) {
      switch (logical) {
        case Decimal.LOGICAL_NAME -> {
          int scale = Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD));
          return t == JsonToken.VALUE_STRING
              ? new BigDecimal(new BigInteger(p.getBinaryValue()), scale)
              : p.getDecimalValue();
        }
        case Date.LOGICAL_NAME -> {
          return new java.util.Date(p.getLongValue() * 86_400_000L);
        }
        case Time.LOGICAL_NAME, Timestamp.LOGICAL_NAME -> {
          return new java.util.Date(p.getLongValue());
        }
        default -> {}
      }
    }
    return switch (schema.type()) {
      case INT8 -> (byte) p.getIntValue();
      case INT16 -> (short) p.getIntValue();
      case INT32 -> p.getIntValue();
      case INT64 -> p.getLongValue();
      case FLOAT32 -> (float) number(p);
      case FLOAT64 -> number(p);
      case BOOLEAN -> p.getBooleanValue();
      case STRING -> t == JsonToken.VALUE_STRING ? p.getText() : p.getValueAsString();
      case BYTES -> p.getBinaryValue();
      case ARRAY -> {
        List<Object> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          out.add(value(p, schema.valueSchema()));
        }
        yield out;
      }
      case MAP -> map(p, schema);
      case STRUCT -> {
        Struct s = new Struct(schema);
        List<Field> fields = schema.fields();
        int i = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          // fields come in the schema's order: a look at the next one saves the lookup by name
          Field f =
              i < fields.size() && fields.get(i).name().equals(name)
                  ? fields.get(i)
                  : schema.field(name);
          i = f == null ? i : f.index() + 1;
          p.nextToken();
          if (f == null) {
            p.skipChildren();
          } else {
            s.put(f, value(p, f.schema()));
          }
        }
        yield s;
      }
    };
  }

  private static double number(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      return Double.parseDouble(p.getText()); // "NaN", "Infinity", "-Infinity"
    }
    return p.getDoubleValue();
  }

  private static Map<Object, Object> map(JsonParser p, Schema schema) throws IOException {
    Map<Object, Object> out = new LinkedHashMap<>();
    if (p.currentToken() == JsonToken.START_OBJECT) {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String k = p.currentName();
        p.nextToken();
        out.put(k, value(p, schema.valueSchema()));
      }
      return out;
    }
    // maps with keys other than strings: an array of [key, value] pairs
    while (p.nextToken() == JsonToken.START_ARRAY) {
      p.nextToken();
      Object k = value(p, schema.keySchema());
      p.nextToken();
      Object v = value(p, schema.valueSchema());
      p.nextToken();
      out.put(k, v);
    }
    return out;
  }

  /** A schema's JSON bytes, as a map key. */
  private record SchemaBytes(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof SchemaBytes s && Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}
