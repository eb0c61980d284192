package io.rowguard.connectors.internal.mirror;

import io.debezium.data.Envelope;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.MirrorSettings;
import io.rowguard.core.Op;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.JournalEntry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * Journal entries as the records Debezium would have written for them: one topic per table, the
 * primary key as key, Debezium's envelope as value, both through Kafka Connect's {@code
 * JsonConverter}; a tombstone after each delete; BEGIN and END of each transaction on the
 * transaction topic. Keeps the open transaction's counts, which its END reports. Not thread-safe.
 */
final class MirrorRecords {
  static final String HEADER_SEQ = "rowguard.seq";
  static final String HEADER_ACTOR = "rowguard.actor";
  static final String HEADER_REASON = "rowguard.reason";
  static final String HEADER_ROLLBACK_OF = "rowguard.rollback-of";
  static final String HEADER_ROLLBACK = "rowguard.rollback";
  static final String HEADER_ABSENT = "rowguard.absent";

  static final Schema BLOCK_SCHEMA =
      SchemaBuilder.struct()
          .optional()
          .name("event.block")
          .version(1)
          .field("id", Schema.STRING_SCHEMA)
          .field("total_order", Schema.INT64_SCHEMA)
          .field("data_collection_order", Schema.INT64_SCHEMA)
          .build();
  private static final Schema TX_KEY =
      SchemaBuilder.struct()
          .name("io.debezium.connector.common.TransactionMetadataKey")
          .version(1)
          .field("id", Schema.STRING_SCHEMA)
          .build();
  private static final Schema COLLECTION =
      SchemaBuilder.struct()
          .optional()
          .name("event.collection")
          .version(1)
          .field("data_collection", Schema.STRING_SCHEMA)
          .field("event_count", Schema.INT64_SCHEMA)
          .build();
  private static final Schema TX_VALUE =
      SchemaBuilder.struct()
          .name("io.debezium.connector.common.TransactionMetadataValue")
          .version(1)
          .field("status", Schema.STRING_SCHEMA)
          .field("id", Schema.STRING_SCHEMA)
          .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
          .field("data_collections", SchemaBuilder.array(COLLECTION).optional().build())
          .field("ts_ms", Schema.INT64_SCHEMA)
          .build();

  private final MirrorSettings settings;
  private final SourceBlock source;
  private final Clock clock;
  private final JsonBytes keys;
  private final JsonBytes values;
  private final Map<TableSchema, TableTopic> topics = new IdentityHashMap<>();
  private final String transactionTopic;

  // the open source transaction: its id, its changes so far, per table (a HashMap, whose order
  // Debezium's END record has)
  private String openTx = "";
  private long events;
  private Map<String, Long> collections = new HashMap<>();
  private TableId lastTruncated;

  private record TableTopic(String topic, Schema key, Schema row, Envelope envelope) {}

  MirrorRecords(MirrorSettings settings, SourceBlock source, Clock clock) {
    this.settings = settings;
    this.source = source;
    this.clock = clock;
    this.keys = new JsonBytes(settings.schemas(), true);
    this.values = new JsonBytes(settings.schemas(), false);
    this.transactionTopic = settings.topicPrefix() + ".transaction";
  }

  /** Continues a source transaction a previous run published in part. */
  void resume(MirrorPosition p) {
    openTx = p.openTx();
    events = p.openTxEvents();
    collections = new HashMap<>(p.openTxCollections());
    lastTruncated = null;
  }

  /** Where this run is after {@code seq}. */
  MirrorPosition position(long seq) {
    return new MirrorPosition(seq, openTx, events, collections);
  }

  String transactionTopic() {
    return transactionTopic;
  }

  /** The table topic of {@code table}: {@code <prefix>.<schema>.<table>}, Debezium's spelling. */
  String topic(TableId table) {
    return sanitize(settings.topicPrefix() + "." + table.schema() + "." + table.name());
  }

  /** The source transaction published in part, or empty. */
  String openTransaction() {
    return openTx;
  }

  /** True when {@code c} opens a transaction this run has not begun. */
  boolean begins(ChangeEvent c) {
    return !c.txId().equals(openTx);
  }

  /** The BEGIN record of {@code c}'s transaction; from now on it is the open one. */
  ProducerRecord<byte[], byte[]> begin(ChangeEvent c) {
    openTx = c.txId();
    events = 0;
    collections = new HashMap<>();
    lastTruncated = null;
    return txRecord("BEGIN", c, null);
  }

  /** The END record of the open transaction, whose last change is {@code last}. */
  ProducerRecord<byte[], byte[]> end(ChangeEvent last) {
    List<Struct> counts =
        collections.entrySet().stream()
            .map(
                e ->
                    new Struct(COLLECTION)
                        .put("data_collection", e.getKey())
                        .put("event_count", e.getValue()))
            .toList();
    ProducerRecord<byte[], byte[]> r = txRecord("END", last, counts);
    openTx = "";
    events = 0;
    collections = new HashMap<>();
    lastTruncated = null;
    return r;
  }

  /**
   * The records of one change, added to {@code out}: the change (a truncate once per table and
   * transaction), and a tombstone after a delete.
   */
  void change(
      JournalEntry entry,
      TransactionTag tag,
      String actor,
      List<ProducerRecord<byte[], byte[]>> out) {
    ChangeEvent c = entry.event();
    if (c.op() == Op.TRUNCATE) {
      if (c.table().equals(lastTruncated)) {
        return; // Debezium writes one truncate event per table, not one per row
      }
      lastTruncated = c.table();
    }
    TableTopic t = topics.computeIfAbsent(c.schema(), this::tableTopic);
    Struct src = source.of(c);
    java.time.Instant now = clock.instant();
    Struct value =
        switch (c.op()) {
          case READ -> t.envelope.read(ConnectValues.row(t.row, c.after()), src, now);
          case INSERT -> t.envelope.create(ConnectValues.row(t.row, c.after()), src, now);
          case UPDATE ->
              t.envelope.update(
                  ConnectValues.row(t.row, c.before()),
                  ConnectValues.row(t.row, c.after()),
                  src,
                  now);
          case DELETE, ABSENT -> t.envelope.delete(ConnectValues.row(t.row, c.before()), src, now);
          case TRUNCATE -> t.envelope.truncate(src, now);
        };
    // as Debezium names it: schema.table on PostgreSQL, db.table on MySQL and MariaDB
    String collection = c.table().schema() + "." + c.table().name();
    long inCollection = collections.merge(collection, 1L, Long::sum);
    events++;
    value.put(
        "transaction",
        new Struct(BLOCK_SCHEMA)
            .put("id", source.transactionId(c))
            .put("total_order", events)
            .put("data_collection_order", inCollection));
    Schema keySchema = c.op() == Op.TRUNCATE ? null : t.key;
    Struct key =
        keySchema == null
            ? null
            : ConnectValues.key(t.key, c.after() != null ? c.after() : c.before());
    byte[] keyBytes = keys.write(t.topic, keySchema, key);
    RecordHeaders headers = headers(entry, tag, actor);
    out.add(
        new ProducerRecord<>(
            t.topic,
            null,
            null,
            keyBytes,
            values.write(t.topic, t.envelope.schema(), value),
            headers));
    if (settings.tombstones() && (c.op() == Op.DELETE || c.op() == Op.ABSENT)) {
      out.add(new ProducerRecord<>(t.topic, null, null, keyBytes, null, headers));
    }
  }

  private RecordHeaders headers(JournalEntry entry, TransactionTag tag, String actor) {
    RecordHeaders h = new RecordHeaders();
    h.add(HEADER_SEQ, utf8(Long.toString(entry.seq())));
    if (actor != null) {
      h.add(HEADER_ACTOR, utf8(actor));
    }
    if (tag != null && tag.reason() != null) {
      h.add(HEADER_REASON, utf8(tag.reason()));
    }
    if (tag != null && tag.rollback() != null) {
      h.add(HEADER_ROLLBACK, utf8(tag.rollback()));
      if (!tag.undoes().isEmpty()) {
        h.add(HEADER_ROLLBACK_OF, utf8(String.join(",", tag.undoes())));
      }
    }
    if (entry.event().op() == Op.ABSENT) {
      h.add(HEADER_ABSENT, utf8("removed while capture could not see it (a gap)"));
    }
    return h;
  }

  private ProducerRecord<byte[], byte[]> txRecord(
      String status, ChangeEvent c, List<Struct> counts) {
    String id = source.transactionId(c);
    Struct key = new Struct(TX_KEY).put("id", id);
    Struct value =
        new Struct(TX_VALUE)
            .put("status", status)
            .put("id", id)
            .put("ts_ms", Math.floorDiv(c.commitMicros(), 1000L));
    if (counts != null) {
      value.put("event_count", events);
      value.put("data_collections", counts);
    }
    return new ProducerRecord<>(
        transactionTopic,
        keys.write(transactionTopic, TX_KEY, key),
        values.write(transactionTopic, TX_VALUE, value));
  }

  private TableTopic tableTopic(TableSchema table) {
    String topic = topic(table.table());
    Schema row = ConnectValues.rowSchema(topic + ".Value", table);
    Schema key = ConnectValues.keySchema(topic + ".Key", table);
    Envelope envelope =
        Envelope.defineSchema()
            .withName(Envelope.schemaName(topic))
            .withRecord(row)
            .withSource(source.schema())
            .withTransaction(BLOCK_SCHEMA)
            .build();
    return new TableTopic(topic, key, row, envelope);
  }

  /** Characters Kafka does not allow in a topic name become {@code _}, as Debezium does. */
  static String sanitize(String topic) {
    StringBuilder b = new StringBuilder(topic.length());
    for (int i = 0; i < topic.length(); i++) {
      char ch = topic.charAt(i);
      b.append(
          ch == '.' || ch == '_' || ch == '-' || (ch < 128 && Character.isLetterOrDigit(ch))
              ? ch
              : '_');
    }
    return b.toString();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
