package io.rowguard.connectors;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Stands in for a Kafka Connect cluster running Debezium: Debezium Embedded with Kafka Connect's
 * {@code JsonConverter} (schemas on, Debezium's own value settings but the two the user guide asks
 * for), each batch sent to Kafka and flushed before Debezium may commit its offsets — at least
 * once, as Connect delivers without exactly-once source support.
 */
public final class DebeziumToKafka implements AutoCloseable {
  private final ExecutorService executor = Executors.newSingleThreadExecutor();
  private final KafkaProducer<byte[], byte[]> producer;
  private final DebeziumEngine<ChangeEvent<String, String>> engine;
  private final AtomicLong sent = new AtomicLong();
  private final java.util.concurrent.atomic.AtomicReference<String> stopped =
      new java.util.concurrent.atomic.AtomicReference<>();
  private final PostgresFixture pg;
  private final String slot;

  /**
   * @param prefix Debezium's {@code topic.prefix}
   * @param metadata {@code provide.transaction.metadata}
   */
  public DebeziumToKafka(
      PostgresFixture pg, String bootstrap, String prefix, String tables, boolean metadata) {
    this(pg, bootstrap, prefix, tables, metadata, Map.of());
  }

  /**
   * @param extra connector settings over the defaults
   */
  public DebeziumToKafka(
      PostgresFixture pg,
      String bootstrap,
      String prefix,
      String tables,
      boolean metadata,
      Map<String, String> extra) {
    this(pg, bootstrap, prefix, postgres(pg, prefix, tables), metadata, extra);
  }

  /** Debezium's MariaDB connector, reading {@code tables} of the fixture's database. */
  public static DebeziumToKafka mariadb(
      MariaDbFixture db, String bootstrap, String prefix, String tables, int serverId) {
    Properties d = new Properties();
    d.put("connector.class", "io.debezium.connector.mariadb.MariaDbConnector");
    d.put("database.hostname", "127.0.0.1");
    d.put("database.port", Integer.toString(db.port()));
    d.put("database.user", "root");
    d.put("database.password", "");
    d.put("database.server.id", Integer.toString(serverId));
    d.put("database.include.list", MariaDbFixture.DATABASE);
    d.put("table.include.list", tables);
    d.put("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
    d.put("include.schema.changes", "false");
    d.put("time.precision.mode", "adaptive_time_microseconds");
    return new DebeziumToKafka(null, bootstrap, prefix, d, true, Map.of());
  }

  private static Properties postgres(PostgresFixture pg, String prefix, String tables) {
    Properties d = new Properties();
    d.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    d.put("plugin.name", "pgoutput");
    d.put("slot.name", "dbz_" + prefix);
    d.put("publication.name", "dbz_" + prefix);
    d.put("publication.autocreate.mode", "filtered");
    d.put("database.hostname", "127.0.0.1");
    d.put("database.port", Integer.toString(pg.port()));
    d.put("database.user", "postgres");
    d.put("database.password", "");
    d.put("database.dbname", pg.database());
    d.put("table.include.list", tables);
    return d;
  }

  private DebeziumToKafka(
      PostgresFixture pg,
      String bootstrap,
      String prefix,
      Properties connector,
      boolean metadata,
      Map<String, String> extra) {
    this.pg = pg;
    this.slot = "dbz_" + prefix;
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("linger.ms", "5");
    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    Properties d = new Properties();
    d.putAll(connector);
    d.put("name", prefix);
    d.put("topic.prefix", prefix);
    d.put("provide.transaction.metadata", Boolean.toString(metadata));
    d.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    d.put("offset.flush.interval.ms", "0");
    // the settings the user guide asks of a connector whose topics rowguard reads: Debezium's
    // defaults turn a numeric's NaN into NULL and count an interval's months as 30 days
    d.put("decimal.handling.mode", "string");
    d.put("interval.handling.mode", "string");
    // a NULL stays NULL in the topic (JsonConverter writes a column's default there otherwise)
    d.put("converter.replace.null.with.default", "false");
    d.putAll(extra);
    engine =
        DebeziumEngine.create(Json.class)
            .using(d)
            .notifying(
                (records, committer) -> {
                  for (ChangeEvent<String, String> r : records) {
                    producer.send(
                        new ProducerRecord<>(r.destination(), bytes(r.key()), bytes(r.value())),
                        (meta, e) -> {
                          if (e != null) {
                            stopped.compareAndSet(null, "a send to " + r.destination() + ": " + e);
                          }
                        });
                    committer.markProcessed(r);
                  }
                  producer.flush();
                  sent.addAndGet(records.size());
                  committer.markBatchFinished();
                })
            .using(
                (success, message, error) -> {
                  if (!success) {
                    stopped.set(message + (error == null ? "" : ": " + error));
                  }
                })
            .build();
    executor.execute(engine);
  }

  private static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** Why Debezium stopped on its own, or null while it runs. */
  public String stopped() {
    return stopped.get();
  }

  /** Records sent to Kafka so far. */
  public long sent() {
    return sent.get();
  }

  /**
   * Waits until Debezium's slot is active: whatever is committed from now on reaches Kafka
   * (PostgreSQL; a binlog connector reads on from its snapshot's position anyway).
   */
  public void awaitStreaming() throws Exception {
    if (pg == null) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (java.sql.Connection c = pg.connect();
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      while (System.nanoTime() < deadline) {
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError("Debezium's slot " + slot + " did not become active in 60 s");
  }

  /** Waits until Debezium has sent something and then nothing more for two seconds. */
  public void awaitQuiet() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    long last = -1;
    long since = System.nanoTime();
    while (System.nanoTime() < deadline) {
      if (stopped.get() != null) {
        throw new AssertionError("Debezium stopped: " + stopped.get());
      }
      long now = sent.get();
      if (now != last) {
        last = now;
        since = System.nanoTime();
      } else if (now > 0 && System.nanoTime() - since > TimeUnit.SECONDS.toNanos(2)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("Debezium kept sending (or sent nothing) for 90 s: " + last);
  }

  @Override
  public void close() throws Exception {
    engine.close();
    executor.shutdown();
    executor.awaitTermination(30, TimeUnit.SECONDS);
    producer.close();
  }
}
