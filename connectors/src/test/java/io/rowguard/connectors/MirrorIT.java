package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.rowguard.core.ConfigException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.ConsumerPositions;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror against a real Kafka (KRaft, in this JVM) and a real capture from PostgreSQL: what a
 * read_committed consumer sees is every journaled change once, in journal order, in Debezium's
 * envelope, however the runs are cut.
 */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class MirrorIT {
  static PostgresFixture pg;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(PostgresFixture fixture, KafkaBroker broker) {
    pg = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void aConsumerSeesEveryChangeOnceInJournalOrderHoweverTheRunsAreCut() throws Exception {
    pg.exec(
        "CREATE TABLE m_orders (id int PRIMARY KEY, amount numeric(12,2), note text)",
        "CREATE TABLE m_lines (order_id int, line int, qty int, PRIMARY KEY (order_id, line))",
        "ALTER TABLE m_orders REPLICA IDENTITY FULL",
        "ALTER TABLE m_lines REPLICA IDENTITY FULL",
        "INSERT INTO m_orders SELECT g, g * 1.5, 'seed' FROM generate_series(1, 20) g");
    RowguardConfig config = config("public.m_orders,public.m_lines", "mirror1", "shop1");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 20);
      writeTransactions(120, new Random(7));
      JournalAwait.caughtUp(config, journal);

      List<JournalEntry> journaled = new ArrayList<>();
      journal.scan(1, journaled::add);
      List<String> said = new ArrayList<>();
      try (Journal reader = Journal.openReader(config.journalDir())) {
        Mirror mirror =
            new Mirror(
                config,
                reader,
                Clock.systemUTC(),
                line -> {
                  System.err.println(line);
                  said.add(line);
                });
        // three bounded runs, cut at arbitrary changes (inside transactions), then the rest
        long total = journaled.size();
        long published = 0;
        for (long cut : new long[] {total / 5, total / 2, total * 3 / 4, -1}) {
          long until = cut < 0 ? Mirror.TO_END : journaled.get((int) cut).seq();
          published += mirror.run(0, until, () -> false).changes();
        }
        assertThat(published).isEqualTo(total);
        // a further run finds nothing new
        assertThat(mirror.run(0, Mirror.TO_END, () -> false).changes()).isZero();
      }
      assertThat(said).isEmpty();

      List<KafkaBroker.Seen> seen = kafka.readCommitted("shop1");
      MirrorChecks.exactlyOnce(journaled, seen, "shop1");
      List<KafkaBroker.Seen> changes =
          seen.stream()
              .filter(s -> s.topic().startsWith("shop1.public.") && s.value() != null)
              .toList();

      // Debezium's envelope: names, op, images, source, transaction block
      KafkaBroker.Seen first =
          changes.stream()
              .filter(s -> s.topic().equals("shop1.public.m_orders"))
              .findFirst()
              .orElseThrow();
      assertThat(first.value().at("/schema/name").asText())
          .isEqualTo("shop1.public.m_orders.Envelope");
      assertThat(first.value().at("/schema/version").asInt()).isEqualTo(2);
      assertThat(first.key().at("/schema/name").asText()).isEqualTo("shop1.public.m_orders.Key");
      assertThat(first.key().at("/payload/id").asInt()).isEqualTo(1);
      JsonNode payload = first.value().get("payload");
      assertThat(payload.get("op").asText()).isEqualTo("r");
      assertThat(payload.at("/after/amount").asText()).isEqualTo("1.50");
      assertThat(payload.at("/source/connector").asText()).isEqualTo("postgresql");
      assertThat(payload.at("/source/table").asText()).isEqualTo("m_orders");
      assertThat(payload.at("/source/db").asText()).isEqualTo(pg.database());
      assertThat(payload.at("/transaction/total_order").asLong()).isPositive();

      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void headersSayWhoAndWhichTransactionsARollbackUndid() throws Exception {
    pg.exec(
        "CREATE TABLE m_tagged (id int PRIMARY KEY, v text)",
        "ALTER TABLE m_tagged REPLICA IDENTITY FULL");
    RowguardConfig config = config("public.m_tagged", "mirror2", "shop2");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      pg.exec(
          "BEGIN; SELECT pg_logical_emit_message(true, 'rowguard',"
              + " '{\"actor\":\"alice\",\"reason\":\"INC-7 repair\",\"rollback\":\"plan-1\","
              + "\"undoes\":[\"111\",\"222\"]}'); INSERT INTO m_tagged VALUES (1, 'x'); COMMIT",
          "INSERT INTO m_tagged VALUES (2, 'y')");
      JournalAwait.caughtUp(config, journal);
      try (Journal reader = Journal.openReader(config.journalDir())) {
        new Mirror(config, reader, Clock.systemUTC(), System.err::println)
            .run(0, Mirror.TO_END, () -> false);
      }
      List<KafkaBroker.Seen> rows =
          kafka.readCommitted("shop2").stream()
              .filter(s -> s.topic().equals("shop2.public.m_tagged"))
              .toList();
      assertThat(rows).hasSize(2);
      assertThat(rows.get(0).header("rowguard.actor")).isEqualTo("alice");
      assertThat(rows.get(0).header("rowguard.reason")).isEqualTo("INC-7 repair");
      assertThat(rows.get(0).header("rowguard.rollback-of")).isEqualTo("111,222");
      assertThat(rows.get(1).header("rowguard.actor")).isNull();
      assertThat(rows.get(1).header("rowguard.rollback-of")).isNull();
      assertThat(capture.failure()).isEmpty();
    }
  }

  /**
   * Capture restarted on a backlog is behind its source until it has journaled it, and no longer
   * once it has; a mirror in its process yields to it meanwhile and still publishes everything
   * once.
   */
  @Test
  void theMirrorBesideCaptureYieldsWhileCaptureCatchesUpAndStillPublishesEverything()
      throws Exception {
    pg.exec(
        "CREATE TABLE m_backlog (id int PRIMARY KEY, v int)",
        "ALTER TABLE m_backlog REPLICA IDENTITY FULL");
    RowguardConfig config = config("public.m_backlog", "mirror4", "shop4");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      try (Capture capture = Capture.start(config, journal)) {
        pg.awaitStreaming(config);
        pg.exec("INSERT INTO m_backlog VALUES (-1, 0)");
        JournalAwait.caughtUp(config, journal);
      }
      // written while capture is stopped, journaled more than a second after their commits
      for (int tx = 0; tx < 200; tx++) {
        pg.exec(
            "INSERT INTO m_backlog SELECT g, 0 FROM generate_series("
                + (tx * 50 + 1)
                + ", "
                + (tx * 50 + 50)
                + ") g");
      }
      Thread.sleep(1200);
      try (Capture capture = Capture.start(config, journal)) {
        AtomicBoolean stop = new AtomicBoolean();
        List<String> said = new ArrayList<>();
        Thread mirror =
            new Thread(
                () -> {
                  try {
                    new Mirror(config, journal, Clock.systemUTC(), said::add)
                        .yieldingTo(capture)
                        .run(0, Mirror.FOLLOW, stop::get);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        mirror.start();
        boolean sawBehind = false;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (journal.changeCount() < 10_001 && System.nanoTime() < deadline) {
          sawBehind |= capture.behind();
          Thread.sleep(5);
        }
        assertThat(journal.changeCount()).isEqualTo(10_001);
        assertThat(sawBehind).as("behind while journaling the backlog").isTrue();
        pg.exec("INSERT INTO m_backlog VALUES (0, 1)"); // fresh: capture has caught up
        JournalAwait.caughtUp(config, journal);
        Thread.sleep(300);
        assertThat(capture.behind()).as("behind once caught up").isFalse();

        List<JournalEntry> journaled = new ArrayList<>();
        journal.scan(1, journaled::add);
        long last = journaled.get(journaled.size() - 1).seq();
        while (System.nanoTime() < deadline && mirrored(journal, "mirror-shop4") < last) {
          Thread.sleep(50);
        }
        stop.set(true);
        mirror.join();
        assertThat(said).isEmpty();
        MirrorChecks.exactlyOnce(journaled, kafka.readCommitted("shop4"), "shop4");
        assertThat(capture.failure()).isEmpty();
      }
    }
  }

  @Test
  void anUnknownMirrorKeyOrAMissingBrokerListIsRefusedWithTheKnownKeys() {
    Map<String, String> p = pg.configProperties(dir, "public.x", "mirror3");
    p.put("mirror.bootstrap.server", "localhost:9092");
    assertThatThrownBy(() -> RowguardConfig.of(dir.resolve("c.properties"), p, env -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key mirror.bootstrap.server")
        .hasMessageContaining("mirror.bootstrap.servers");
    p.remove("mirror.bootstrap.server");
    p.put("kafka.transactional.id", "mine");
    assertThatThrownBy(() -> RowguardConfig.of(dir.resolve("c.properties"), p, env -> null))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.transactional.id is the mirror's to set");
  }

  /** The position the mirror {@code name} keeps in the journal's directory (once a second). */
  private static long mirrored(Journal journal, String name) {
    return ConsumerPositions.list(journal.dir()).stream()
        .filter(p -> p.name().equals(name))
        .mapToLong(ConsumerPositions.Position::seq)
        .findFirst()
        .orElse(0);
  }

  private RowguardConfig config(String tables, String name, String prefix) {
    Map<String, String> p = pg.configProperties(dir, tables, name);
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", prefix);
    return RowguardConfig.of(dir.resolve("rowguard.properties"), p, env -> null);
  }

  /** Transactions of 1 to 12 changes over both tables: inserts, updates, deletes. */
  private static void writeTransactions(int n, Random random) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      int nextLine = 0;
      for (int t = 0; t < n; t++) {
        int changes = 1 + random.nextInt(12);
        for (int i = 0; i < changes; i++) {
          int id = 1 + random.nextInt(20);
          switch (random.nextInt(4)) {
            case 0 ->
                s.execute(
                    "UPDATE m_orders SET amount = amount + 1, note = 'tx"
                        + t
                        + "' WHERE id = "
                        + id);
            case 1 ->
                s.execute(
                    "INSERT INTO m_lines VALUES (" + id + ", " + (nextLine++) + ", " + i + ")");
            case 2 -> s.execute("DELETE FROM m_lines WHERE order_id = " + id);
            default ->
                s.execute(
                    "INSERT INTO m_orders VALUES ("
                        + (1000 + t * 20 + i)
                        + ", 9.99, 'new') ON CONFLICT (id) DO UPDATE SET note = 'again'");
          }
        }
        c.commit();
      }
    }
  }
}
