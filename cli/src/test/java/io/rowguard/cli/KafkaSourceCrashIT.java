package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.DebeziumToKafka;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.JournalChecks;
import io.rowguard.connectors.KafkaBroker;
import io.rowguard.connectors.KafkaExtension;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `rowguard capture` with {@code source.connector=kafka}, in a JVM of its own, killed with SIGKILL
 * at random moments while Debezium (Embedded, JsonConverter, a producer: a Kafka Connect stand-in)
 * writes about 20,000 changes in multi-row transactions to Kafka: the journal it builds still
 * equals the one rowguard's own engine builds from the database, change for change. Then a bad
 * write is rolled back from that journal, through {@code apply.url}, with the jar's commands.
 */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class KafkaSourceCrashIT {
  private static final int KILLS = Integer.getInteger("rowguard.crash.kills", 10);
  static PostgresFixture pg;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(PostgresFixture fixture, KafkaBroker broker) {
    pg = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void killedAtRandomPointsTheJournalStillHoldsEveryChangeOnceAndRollsBack() throws Exception {
    long seed = Long.getLong("rowguard.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    pg.exec(
        "CREATE TABLE kc_a (id int PRIMARY KEY, v int, note text)",
        "CREATE TABLE kc_b (id int PRIMARY KEY, v int)",
        "ALTER TABLE kc_a REPLICA IDENTITY FULL",
        "ALTER TABLE kc_b REPLICA IDENTITY FULL",
        "INSERT INTO kc_b SELECT g, g FROM generate_series(1, 100) g");
    RowguardConfig direct = pg.config(dir.resolve("direct"), "public.kc_.*", "kcrash");
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics.regex", "kc\\.public\\.kc_.*");
    p.put("source.transaction.topic", "kc.transaction");
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + pg.database());
    p.put("apply.user", "postgres");
    p.put("journal.dir", dir.resolve("fromkafka").toString());
    Path configFile = Cli.writeConfig(dir.resolve("kafka.properties"), p);
    RowguardConfig fromKafka = RowguardConfig.load(configFile);
    Path log = dir.resolve("capture.log");

    try (Journal a = Journal.openWriter(direct.journalDir());
        Capture capture = Capture.start(direct, a);
        DebeziumToKafka debezium =
            new DebeziumToKafka(pg, kafka.bootstrapServers(), "kc", "public.kc_.*", true)) {
      pg.awaitStreaming(direct);
      debezium.awaitStreaming();
      // Debezium's snapshot sent (kc_b's rows): what is written from now on is streamed by both.
      // (Its slot is active before its snapshot begins, and a row written in between is in the
      // snapshot, not the stream.) kc_a's topic appears with its first change, while capture runs.
      debezium.awaitQuiet();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread load =
          new Thread(
              () -> {
                try {
                  write(20_000, new Random(seed + 1));
                } catch (Throwable t) {
                  failed.set(t);
                }
              });
      load.start();
      for (int kills = 0; kills < KILLS; kills++) {
        long before = journaled(fromKafka);
        Process ingest =
            Cli.start("-Xmx256m", log, List.of("capture", "-c", configFile.toString()));
        // killed while it journals: once it has journaled something (a slow machine can take
        // seconds to start a JVM and check the brokers and the database), at a random point after
        long started = System.nanoTime();
        while (journaled(fromKafka) <= before
            && ingest.isAlive()
            && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(20)) {
          Thread.sleep(200); // each look opens the journal: not too often
        }
        Thread.sleep(random.nextInt(2000));
        assertThat(ingest.isAlive()).as("capture running (see %s)", log).isTrue();
        ingest.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      load.join();
      assertThat(failed.get()).isNull();
      JournalAwait.caughtUp(direct, a);
      debezium.awaitQuiet();

      Process ingest = Cli.start("-Xmx256m", log, List.of("capture", "-c", configFile.toString()));
      try {
        List<JournalEntry> want = streamed(direct);
        try {
          awaitStreamed(fromKafka, want.size());
        } catch (AssertionError e) {
          List<String> lines = java.nio.file.Files.readAllLines(log);
          throw new AssertionError(
              e.getMessage()
                  + "; capture alive "
                  + ingest.isAlive()
                  + "; Debezium sent "
                  + debezium.sent()
                  + (debezium.stopped() == null ? "" : " and stopped: " + debezium.stopped())
                  + ", its log ends:\n"
                  + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size())),
              e);
        }
        JournalChecks.sameChanges(want, streamed(fromKafka));
        try (Journal b = Journal.openReader(fromKafka.journalDir())) {
          assertThat(b.openGaps()).isEmpty();
        }

        Cli.Result status = Cli.ok("status", "-c", configFile.toString());
        assertThat(status.out())
            .contains("source        Kafka " + kafka.bootstrapServers())
            .contains("records not journaled yet");

        // the incident: a bad write, rolled back from the Kafka-built journal
        Instant before = Instant.now();
        Thread.sleep(50);
        pg.exec("UPDATE kc_b SET v = -1");
        awaitStreamed(fromKafka, want.size() + 100);
        Cli.ok(
            "rollback",
            "-c",
            configFile.toString(),
            "--table",
            "public.kc_b",
            "--to",
            before.toString(),
            "--apply",
            "--wait",
            "60s");
        assertThat(table("kc_b")).doesNotContain(",-1)");
        try (Connection c = pg.connect();
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM kc_b WHERE v < 0")) {
          rs.next();
          assertThat(rs.getInt(1)).isZero();
        }
      } finally {
        ingest.destroy();
        ingest.waitFor(60, TimeUnit.SECONDS);
      }
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    }
  }

  @Test
  void badKafkaSourceSettingsExitTwoWithOneLine() throws Exception {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics", "kc.public.kc_a");
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + pg.database());
    p.put("apply.user", "postgres");
    p.put("journal.dir", dir.resolve("j").toString());
    for (String[] bad :
        new String[][] {
          {"source.table.include.list", "public.x", "unknown key source.table.include.list"},
          {"apply.url", "jdbc:oracle:thin:@db:1521", "is not a JDBC URL rowguard writes to"},
          {"apply.user", "", "missing key apply.user"},
          {"kafka.group.id", "g", "kafka.group.id is the Kafka source's to set"},
          {"source.topics", "no.such.topic", "has no topic no.such.topic"}
        }) {
      Map<String, String> q = new HashMap<>(p);
      q.put(bad[0], bad[1]);
      Path file = Cli.writeConfig(dir.resolve("bad.properties"), q);
      Cli.Result r = Cli.run("capture", "-c", file.toString());
      assertThat(r.exit()).as(bad[0]).isEqualTo(2);
      assertThat(r.err().strip()).as(bad[0]).contains(bad[2]).doesNotContain("\n");
    }
    assertThat(dir.resolve("j")).doesNotExist();
  }

  private static String table(String name) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT t::text FROM " + name + " t ORDER BY id")) {
      while (rs.next()) {
        out.append(rs.getString(1)).append('\n');
      }
    }
    return out.toString();
  }

  private static void awaitStreamed(RowguardConfig config, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      if (journaled(config) > 0 && streamed(config).size() >= n) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "the Kafka-built journal did not reach "
            + n
            + " changes in 120 s (it holds "
            + (journaled(config) > 0 ? streamed(config).size() : 0)
            + ")");
  }

  /** The changes a journal holds; 0 while capture has not created it yet. */
  private static long journaled(RowguardConfig config) {
    try (Journal j = Journal.openReader(config.journalDir())) {
      return j.changeCount();
    } catch (InputException notYet) {
      return 0;
    }
  }

  private static List<JournalEntry> streamed(RowguardConfig config) {
    try (Journal j = Journal.openReader(config.journalDir())) {
      return JournalChecks.streamed(j);
    }
  }

  /** About {@code changes} changes in transactions of 1 to 60 over both tables. */
  private static void write(int changes, Random random) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      int written = 0;
      int nextId = 1;
      while (written < changes) {
        int n = 1 + random.nextInt(60);
        switch (random.nextInt(3)) {
          case 0 -> {
            written +=
                s.executeUpdate(
                    "INSERT INTO kc_a SELECT g, g, 'n' FROM generate_series("
                        + nextId
                        + ", "
                        + (nextId + n - 1)
                        + ") g");
            nextId += n;
          }
          case 1 -> {
            int from = 1 + random.nextInt(Math.max(1, nextId));
            written +=
                s.executeUpdate(
                    "UPDATE kc_a SET v = v + 1 WHERE id BETWEEN " + from + " AND " + (from + n));
            written += s.executeUpdate("UPDATE kc_b SET v = v + 1 WHERE id = " + (1 + n));
          }
          default -> {
            int from = 1 + random.nextInt(Math.max(1, nextId));
            written +=
                s.executeUpdate(
                    "DELETE FROM kc_a WHERE id BETWEEN " + from + " AND " + (from + n / 4));
          }
        }
        c.commit();
        Thread.sleep(30); // a steady stream while the ingest is killed, not one burst
      }
    }
  }
}
