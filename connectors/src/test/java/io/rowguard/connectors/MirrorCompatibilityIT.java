package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compatibility proven, not claimed: Debezium Embedded with Kafka Connect's JsonConverter and the
 * mirror see the same workload on the same PostgreSQL, and their records are compared one by one —
 * topics, keys, value schemas and payloads. What may differ is exactly what the user guide lists:
 * the envelope's processing time, {@code source.sequence}, and the ids of BEGIN/END records.
 */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class MirrorCompatibilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static PostgresFixture pg;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(PostgresFixture fixture, KafkaBroker broker) {
    pg = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void theMirrorsRecordsAreDebeziumsRecordByRecord() throws Exception {
    pg.exec(
        "CREATE TABLE c_items (id int PRIMARY KEY, qty smallint, big bigint, price numeric(12,3),"
            + " ratio double precision, r real, flag boolean, name varchar(40), note text, born date,"
            + " at timestamp(6), atz timestamptz, t time, data bytea, doc jsonb, u uuid)",
        "ALTER TABLE c_items REPLICA IDENTITY FULL");
    Map<String, String> p = pg.configProperties(dir, "public.c_items", "compat");
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", "cmp");
    RowguardConfig config = RowguardConfig.of(dir.resolve("rowguard.properties"), p, env -> null);

    List<String[]> debezium = Collections.synchronizedList(new ArrayList<>());
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal);
        DebeziumEngine<ChangeEvent<String, String>> engine =
            DebeziumEngine.create(Json.class)
                .using(debeziumProperties())
                .notifying(r -> debezium.add(new String[] {r.destination(), r.key(), r.value()}))
                .build()) {
      executor.execute(engine);
      pg.awaitStreaming(config);
      awaitSlotActive("dbz_compat");
      pg.exec(
          "BEGIN;"
              + " INSERT INTO c_items VALUES (1, 7, 9223372036854775807, 12345.678, 1.5e300,"
              + " 3.25, true, 'ünïcode ✓', 'a \"quoted\" note', '2024-02-29',"
              + " '2026-12-05 10:15:30.123456', '2026-12-05 10:15:30.5+02', '23:59:59.999999',"
              + " '\\xdeadbeef', '{\"k\": [1, 2, {\"x\": null}]}',"
              + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');"
              + " INSERT INTO c_items (id, name) VALUES (2, 'nulls');"
              + " COMMIT",
          "UPDATE c_items SET price = -0.001, note = NULL, flag = false WHERE id = 1",
          "BEGIN; UPDATE c_items SET id = 3 WHERE id = 2; DELETE FROM c_items WHERE id = 1; COMMIT",
          "INSERT INTO c_items (id, ratio, r) VALUES (4, 'NaN', '-Infinity')");
      JournalAwait.caughtUp(config, journal);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (changes(debezium) < 7 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      try (Journal reader = Journal.openReader(config.journalDir())) {
        new Mirror(config, reader, Clock.systemUTC(), System.err::println)
            .run(0, Mirror.TO_END, () -> false);
      }
    } finally {
      executor.shutdown();
      executor.awaitTermination(30, TimeUnit.SECONDS);
      pg.exec("SELECT pg_drop_replication_slot('dbz_compat')", "DROP PUBLICATION dbz_compat");
    }

    List<String[]> mirrored = new ArrayList<>();
    for (KafkaBroker.Seen s : kafka.readCommitted("cmp")) {
      mirrored.add(
          new String[] {
            s.topic(),
            s.key() == null ? null : s.key().toString(),
            s.value() == null ? null : s.value().toString()
          });
    }
    // Debezium also reports transactions that changed no captured row (rowguard's own marks,
    // logical messages only): the journal has no change of them, so the mirror has no record
    java.util.Set<String> changing = new java.util.HashSet<>();
    for (String[] r : debezium) {
      if (r[0].startsWith("cmp.public.") && r[2] != null) {
        changing.add(JSON.readTree(r[2]).at("/payload/transaction/id").asText().split(":")[0]);
      }
    }
    List<String[]> expected = new ArrayList<>();
    for (String[] r : debezium) {
      boolean changes =
          !r[0].equals("cmp.transaction")
              || changing.contains(JSON.readTree(r[2]).at("/payload/id").asText().split(":")[0]);
      if (!r[0].endsWith(".message") && changes) {
        expected.add(r);
      }
    }
    // per topic, in order (Kafka orders records within a partition, not across topics)
    Map<String, List<String[]>> want = byTopic(expected);
    Map<String, List<String[]>> got = byTopic(mirrored);
    assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(want.keySet());
    // 2 inserts, an update, a key moved (delete, tombstone, insert), a delete and its tombstone, an
    // insert
    assertThat(want.get("cmp.public.c_items")).hasSize(9);
    for (String topic : want.keySet()) {
      List<String[]> w = want.get(topic);
      List<String[]> g = got.get(topic);
      assertThat(g).as(topic).hasSameSizeAs(w);
      for (int i = 0; i < w.size(); i++) {
        String what = "record " + i + " on " + topic;
        assertThat(normalized(g.get(i)[1])).as(what + ", key").isEqualTo(normalized(w.get(i)[1]));
        assertThat(normalized(g.get(i)[2])).as(what + ", value").isEqualTo(normalized(w.get(i)[2]));
      }
    }
  }

  private static Map<String, List<String[]>> byTopic(List<String[]> records) {
    Map<String, List<String[]>> out = new java.util.TreeMap<>();
    records.forEach(r -> out.computeIfAbsent(r[0], t -> new ArrayList<>()).add(r));
    return out;
  }

  private static long changes(List<String[]> records) {
    synchronized (records) {
      return records.stream().filter(r -> r[0].startsWith("cmp.public.") && r[2] != null).count();
    }
  }

  /**
   * A record's JSON without what the user guide lists as different: the envelope's processing time,
   * {@code source.sequence}, and the ids of BEGIN and END (Debezium's name the LSN of the BEGIN and
   * COMMIT messages, which the journal does not keep).
   */
  private static JsonNode normalized(String json) throws Exception {
    if (json == null) {
      return null;
    }
    JsonNode n = JSON.readTree(json);
    if (n.get("payload") instanceof ObjectNode payload) {
      payload.remove(List.of("ts_ms", "ts_us", "ts_ns"));
      if (payload.get("source") instanceof ObjectNode source) {
        source.remove("sequence");
      }
      if (payload.has("status")) {
        payload.remove("id");
        if (payload.get("data_collections") instanceof ArrayNode collections) {
          List<JsonNode> sorted = new ArrayList<>();
          collections.forEach(sorted::add);
          sorted.sort((a, b) -> a.toString().compareTo(b.toString()));
          collections.removeAll();
          sorted.forEach(collections::add);
        }
      }
    }
    if (n.path("schema").path("name").asText().endsWith("TransactionMetadataKey")) {
      ((ObjectNode) n).remove("payload");
    }
    return n;
  }

  private static Properties debeziumProperties() {
    Properties d = new Properties();
    d.put("name", "compat");
    d.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    d.put("plugin.name", "pgoutput");
    d.put("slot.name", "dbz_compat");
    d.put("publication.name", "dbz_compat");
    d.put("publication.autocreate.mode", "filtered");
    d.put("database.hostname", "127.0.0.1");
    d.put("database.port", Integer.toString(pg.port()));
    d.put("database.user", "postgres");
    d.put("database.password", "");
    d.put("database.dbname", pg.database());
    d.put("table.include.list", "public.c_items");
    d.put("topic.prefix", "cmp");
    d.put("snapshot.mode", "no_data");
    d.put("provide.transaction.metadata", "true");
    // the value settings rowguard captures with (the user guide lists them as the difference)
    d.put("decimal.handling.mode", "string");
    d.put("time.precision.mode", "adaptive_time_microseconds");
    d.put("binary.handling.mode", "bytes");
    d.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    d.put("offset.flush.interval.ms", "0");
    return d;
  }

  private static void awaitSlotActive(String slot) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      while (System.nanoTime() < deadline) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT active FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(100);
      }
    }
    throw new AssertionError("Debezium's slot " + slot + " did not become active in 60 s");
  }
}
