package io.rowguard.connectors.internal.mirror;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.json.JsonConverter;

/**
 * Kafka Connect's {@code JsonConverter} output, {@code {"schema":…,"payload":…}} with schemas on,
 * the payload alone with them off. The converter writes the payload; the schema's JSON, the larger
 * part of each record and the same for every record of a table, is the converter's own {@code
 * asJsonSchema}, written once per schema and reused.
 */
final class JsonBytes {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] OPEN = "{\"schema\":".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PAYLOAD = ",\"payload\":".getBytes(StandardCharsets.UTF_8);

  private final boolean withSchemas;
  private final JsonConverter payloads = new JsonConverter();
  private final JsonConverter schemas = new JsonConverter();
  private final Map<Schema, byte[]> schemaJson = new IdentityHashMap<>();

  JsonBytes(boolean withSchemas, boolean isKey) {
    this.withSchemas = withSchemas;
    payloads.configure(Map.of("schemas.enable", false), isKey);
    schemas.configure(Map.of("schemas.enable", true), isKey);
  }

  /** The bytes JsonConverter writes for {@code value} of {@code schema}; null for a null record. */
  byte[] write(String topic, Schema schema, Object value) {
    if (schema == null && value == null) {
      return null;
    }
    byte[] payload = payloads.fromConnectData(topic, schema, value);
    if (!withSchemas) {
      return payload;
    }
    if (payload == null) {
      payload = "null".getBytes(StandardCharsets.UTF_8);
    }
    byte[] s =
        schema == null
            ? "null".getBytes(StandardCharsets.UTF_8)
            : schemaJson.computeIfAbsent(schema, this::schemaBytes);
    byte[] out = new byte[OPEN.length + s.length + PAYLOAD.length + payload.length + 1];
    int at = 0;
    System.arraycopy(OPEN, 0, out, at, OPEN.length);
    at += OPEN.length;
    System.arraycopy(s, 0, out, at, s.length);
    at += s.length;
    System.arraycopy(PAYLOAD, 0, out, at, PAYLOAD.length);
    at += PAYLOAD.length;
    System.arraycopy(payload, 0, out, at, payload.length);
    out[out.length - 1] = '}';
    return out;
  }

  private byte[] schemaBytes(Schema schema) {
    try {
      return JSON.writeValueAsBytes(schemas.asJsonSchema(schema));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the JSON of schema " + schema.name(), e);
    }
  }
}
