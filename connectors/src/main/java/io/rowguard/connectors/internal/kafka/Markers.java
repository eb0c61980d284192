package io.rowguard.connectors.internal.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * BEGIN and END records as Debezium's transaction metadata writes them, for transactions the ingest
 * groups itself, and END records counting only the tables it journals.
 */
final class Markers {
  private static final Schema COLLECTION =
      SchemaBuilder.struct()
          .name("rowguard.kafka.ConnectDataCollection")
          .field("data_collection", Schema.STRING_SCHEMA)
          .field("event_count", Schema.INT64_SCHEMA)
          .build();
  private static final Schema MARKER =
      SchemaBuilder.struct()
          .name("rowguard.kafka.TransactionMetadataValue")
          .field("status", Schema.STRING_SCHEMA)
          .field("id", Schema.STRING_SCHEMA)
          .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
          .field("data_collections", SchemaBuilder.array(COLLECTION).optional().build())
          .build();

  private Markers() {}

  static SourceRecord begin(String topic, String id) {
    return record(topic, new Struct(MARKER).put("status", "BEGIN").put("id", id));
  }

  /**
   * @param counts events per data collection ({@code schema.table}); {@code others} events of no
   *     table (logical messages)
   */
  static SourceRecord end(String topic, String id, Map<String, Long> counts, long others) {
    List<Struct> collections = new ArrayList<>();
    long total = others;
    for (Map.Entry<String, Long> c : counts.entrySet()) {
      collections.add(
          new Struct(COLLECTION)
              .put("data_collection", c.getKey())
              .put("event_count", c.getValue()));
      total += c.getValue();
    }
    return record(
        topic,
        new Struct(MARKER)
            .put("status", "END")
            .put("id", id)
            .put("event_count", total)
            .put("data_collections", collections));
  }

  /** A record that only carries the positions to resume from: no change, no transaction. */
  static SourceRecord heartbeat() {
    return new SourceRecord(Map.of(), Map.of(), "rowguard.kafka.heartbeat", null, null);
  }

  private static SourceRecord record(String topic, Struct value) {
    return new SourceRecord(Map.of(), Map.of(), topic, null, null, null, MARKER, value);
  }
}
