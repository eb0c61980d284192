package io.rowguard.connectors.internal.kafka;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium's records as Kafka Connect's {@code JsonConverter} wrote them (with schemas), back into
 * the Connect records rowguard's own engine hands over: the same structs, the same schemas (one
 * object per distinct schema, from the converter's cache), so the journaling that follows is the
 * same code.
 */
final class TopicDecoder {
  private static final byte[] ENVELOPE =
      "{\"schema\":".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private final FastJson keys = new FastJson(converter(true));
  private final FastJson values = new FastJson(converter(false));
  private final Schemaless schemaless;

  /**
   * @param schemaless types records written without schemas
   */
  TopicDecoder(Schemaless schemaless) {
    this.schemaless = schemaless;
  }

  static JsonConverter converter(boolean isKey) {
    JsonConverter c = new JsonConverter();
    c.configure(
        Map.of(
            "schemas.enable", "true",
            // a NULL stays NULL: the converter would otherwise put the column's default there
            "replace.null.with.default", "false",
            "schemas.cache.size", "10000"),
        isKey);
    return c;
  }

  /** The Connect record, or null for a tombstone. */
  SourceRecord decode(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return null;
    }
    try {
      if (!java.util.Arrays.equals(
          r.value(),
          0,
          Math.min(ENVELOPE.length, r.value().length),
          ENVELOPE,
          0,
          ENVELOPE.length)) {
        SchemaAndValue[] read = schemaless.read(r.key(), r.value());
        return new SourceRecord(
            Map.of(),
            Map.of(),
            r.topic(),
            r.partition(),
            read[0].schema(),
            read[0].value(),
            read[1].schema(),
            read[1].value());
      }
      SchemaAndValue key = r.key() == null ? SchemaAndValue.NULL : keys.read(r.topic(), r.key());
      SchemaAndValue value = values.read(r.topic(), r.value());
      if (value.value() == null) {
        return null;
      }
      return new SourceRecord(
          Map.of(),
          Map.of(),
          r.topic(),
          r.partition(),
          key.schema(),
          key.value(),
          value.schema(),
          value.value());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(
          "record " + r.offset() + " of " + r.topic() + "-" + r.partition() + " is not JSON", e);
    } catch (DataException e) {
      throw new IllegalStateException(
          "record "
              + r.offset()
              + " of "
              + r.topic()
              + "-"
              + r.partition()
              + " is not Debezium's JsonConverter output with schemas ("
              + e.getMessage()
              + "): the Kafka source reads key.converter and value.converter"
              + " org.apache.kafka.connect.json.JsonConverter with schemas.enable=true",
          e);
    }
  }
}
