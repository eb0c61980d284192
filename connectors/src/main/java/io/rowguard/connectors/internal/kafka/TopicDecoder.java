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
  private final FastJson keys = new FastJson(converter(true));
  private final FastJson values = new FastJson(converter(false));

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
