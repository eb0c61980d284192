package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal built from Debezium's Kafka topics ({@code source.connector=kafka}) is the journal
 * rowguard's own engine builds from the same database: the same changes, in the same order, in the
 * same transactions, with the same values, whether the topics carry Debezium's transaction metadata
 * or not. Debezium here is Debezium Embedded with Kafka Connect's JsonConverter and a producer,
 * standing in for a Kafka Connect cluster; transactions write to two tables from two connections at
 * once, so that their records interleave across topics.
 */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class KafkaSourceIT {
  static PostgresFixture pg;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(PostgresFixture fixture, KafkaBroker broker) {
    pg = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void aJournalBuiltFromTopicsWithTransactionMetadataEqualsTheCapturedOne() throws Exception {
    journalsAgree("ks1", true, true);
  }

  @Test
  void topicsWrittenWithoutSchemasAreTypedFromTheCatalogAndGiveTheSameJournal() throws Exception {
    journalsAgree("ks6", true, false);
  }

  @Test
  void withoutTransactionMetadataTransactionsAreGroupedByTheirSourceTransaction() throws Exception {
    journalsAgree("ks2", false, true);
  }

  private void journalsAgree(String name, boolean metadata, boolean schemas) throws Exception {
    String orders = name + "_orders";
    String customers = name + "_customers";
    pg.exec(
        "CREATE TABLE " + customers + " (id int PRIMARY KEY, name text, since timestamptz)",
        "CREATE TABLE "
            + orders
            + " (id int PRIMARY KEY, customer int, amount numeric(10,2), note text,"
            + " at timestamp(6), flag boolean)",
        "ALTER TABLE " + customers + " REPLICA IDENTITY FULL",
        "ALTER TABLE " + orders + " REPLICA IDENTITY FULL",
        "INSERT INTO " + customers + " SELECT g, 'c' || g, now() FROM generate_series(1, 10) g",
        "INSERT INTO "
            + orders
            + " SELECT g, g % 10 + 1, g * 1.25, NULL, '2026-01-01 10:00:00.123456', g % 2 = 0"
            + " FROM generate_series(1, 20) g");
    String tables = "public." + customers + ",public." + orders;
    RowguardConfig direct = pg.config(dir.resolve("direct"), tables, name);
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics", name + ".public." + customers + "," + name + ".public." + orders);
    if (metadata) {
      p.put("source.transaction.topic", name + ".transaction");
    }
    p.put("source.transaction.settle", "500ms");
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + pg.database());
    p.put("apply.user", "postgres");
    p.put("journal.dir", dir.resolve("fromkafka").toString());
    RowguardConfig fromKafka = RowguardConfig.of(dir.resolve("k.properties"), p, env -> null);

    try (Journal a = Journal.openWriter(direct.journalDir());
        Capture capture = Capture.start(direct, a);
        DebeziumToKafka debezium =
            new DebeziumToKafka(
                pg,
                kafka.bootstrapServers(),
                name,
                tables,
                metadata,
                schemas ? Map.of() : Map.of("converter.schemas.enable", "false"))) {
      pg.awaitStreaming(direct);
      debezium.awaitStreaming();
      debezium.awaitQuiet(); // its snapshot sent: what is written from now on is streamed
      Thread writer1 = workload(orders, customers, 1, 60);
      Thread writer2 = workload(orders, customers, 2, 60);
      writer1.join();
      writer2.join();
      JournalAwait.caughtUp(direct, a);
      debezium.awaitQuiet();
      try (Journal b = Journal.openWriter(fromKafka.journalDir());
          Capture ingest = Capture.start(fromKafka, b)) {
        long want = JournalChecks.streamed(a).size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (JournalChecks.streamed(b).size() < want
            && ingest.failure().isEmpty()
            && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        Thread.sleep(1000); // nothing more arrives
        assertThat(ingest.failure()).isEmpty();
        JournalChecks.sameChanges(JournalChecks.streamed(a), JournalChecks.streamed(b));
        assertThat(snapshot(b)).hasSize(30);
        assertThat(b.openGaps()).isEmpty();
      }
    }
  }

  /** Transactions of 1-4 changes over both tables. */
  private static Thread workload(String orders, String customers, int writer, int transactions) {
    Thread t =
        new Thread(
            () -> {
              Random random = new Random(writer);
              try (Connection c = pg.connect();
                  Statement s = c.createStatement()) {
                c.setAutoCommit(false);
                for (int i = 0; i < transactions; i++) {
                  int id = 1000 * writer + i;
                  s.execute(
                      "INSERT INTO "
                          + orders
                          + " VALUES ("
                          + id
                          + ", "
                          + (random.nextInt(10) + 1)
                          + ", "
                          + random.nextInt(10_000)
                          + ".05, 'w"
                          + writer
                          + "', now(), true)");
                  if (random.nextBoolean()) {
                    s.execute(
                        "UPDATE "
                            + customers
                            + " SET name = name || '+' WHERE id = "
                            + (random.nextInt(10) + 1));
                  }
                  if (i % 5 == 4) {
                    s.execute("DELETE FROM " + orders + " WHERE id = " + (id - 2));
                  }
                  if (i % 7 == 0) {
                    s.execute(
                        "UPDATE " + orders + " SET note = NULL, flag = NULL WHERE id = " + id);
                  }
                  c.commit();
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    t.start();
    return t;
  }

  private static List<JournalEntry> snapshot(Journal j) {
    List<JournalEntry> out = new ArrayList<>();
    j.scan(
        1,
        e -> {
          if (e.event().op() == Op.READ) {
            out.add(e);
          }
          return true;
        });
    return out;
  }

  @Test
  void aConnectorThatSendsLossyFormsStopsTheIngestNamingTheColumnsAndTheSetting() throws Exception {
    assertThat(
            lossyWith(
                "ks4",
                Map.of("decimal.handling.mode", "double", "interval.handling.mode", "numeric")))
        .contains("public.ks4_lossy.amount (numeric(10,2)): arrives as a double")
        .contains("public.ks4_lossy.wait (interval): arrives in microseconds")
        .contains("interval.handling.mode=string");
    // Debezium's defaults lose values of PostgreSQL too: precise decimals turn NaN into NULL
    assertThat(lossyWith("ks5", Map.of("decimal.handling.mode", "precise")))
        .contains("public.ks5_lossy.amount (numeric(10,2)): NaN and Infinity arrive as NULL")
        .contains("public.ks5_lossy.free (numeric): NaN and Infinity arrive as NULL")
        .contains("decimal.handling.mode=string")
        .doesNotContain("wait");
  }

  /** The message an ingest stops with, from a connector with {@code settings}. */
  private String lossyWith(String name, Map<String, String> settings) throws Exception {
    String table = name + "_lossy";
    pg.exec(
        "CREATE TABLE "
            + table
            + " (id int PRIMARY KEY, amount numeric(10,2), wait interval, free numeric)",
        "ALTER TABLE " + table + " REPLICA IDENTITY FULL");
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics", name + ".public." + table);
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + pg.database());
    p.put("apply.user", "postgres");
    p.put("journal.dir", dir.resolve(name).toString());
    RowguardConfig config = RowguardConfig.of(dir.resolve(name + ".properties"), p, env -> null);
    try (DebeziumToKafka debezium =
        new DebeziumToKafka(
            pg, kafka.bootstrapServers(), name, "public." + table, true, settings)) {
      debezium.awaitStreaming();
      pg.exec("INSERT INTO " + table + " VALUES (1, 12.34, '1 month 2 days', 1.5)");
      debezium.awaitQuiet();
      try (Journal j = Journal.openWriter(config.journalDir());
          Capture ingest = Capture.start(config, j)) {
        assertThat(ingest.awaitTermination(java.time.Duration.ofSeconds(60))).isTrue();
        assertThat(JournalChecks.streamed(j)).isEmpty();
        return ingest.failure().orElseThrow().getMessage();
      }
    }
  }

  @Test
  void missingTopicsUnreachableBrokersAndPartialImagesAreRefusedBeforeAnyJournal()
      throws Exception {
    pg.exec("CREATE TABLE ks3_plain (id int PRIMARY KEY, v text)");
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics", "ks3.public.nothing_here");
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + pg.database());
    p.put("apply.user", "postgres");
    p.put("journal.dir", dir.resolve("j").toString());
    assertThatThrownBy(() -> Capture.check(RowguardConfig.of(dir.resolve("c"), p, env -> null)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("has no topic ks3.public.nothing_here");

    try (var admin =
        org.apache.kafka.clients.admin.Admin.create(
            Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
      admin
          .createTopics(
              List.of(
                  new org.apache.kafka.clients.admin.NewTopic(
                      "ks3.public.ks3_plain", 1, (short) 1)))
          .all()
          .get();
    }
    p.put("source.topics", "ks3.public.ks3_plain");
    assertThatThrownBy(() -> Capture.check(RowguardConfig.of(dir.resolve("c"), p, env -> null)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("public.ks3_plain has REPLICA IDENTITY DEFAULT")
        .hasMessageContaining("REPLICA IDENTITY FULL;");

    p.put("source.bootstrap.servers", "127.0.0.1:1");
    assertThatThrownBy(() -> Capture.check(RowguardConfig.of(dir.resolve("c"), p, env -> null)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("cannot reach Kafka at source.bootstrap.servers=127.0.0.1:1");
    assertThat(dir.resolve("j")).doesNotExist();
  }
}
