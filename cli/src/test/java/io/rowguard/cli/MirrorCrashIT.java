package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.KafkaBroker;
import io.rowguard.connectors.KafkaExtension;
import io.rowguard.connectors.MirrorChecks;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
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
 * `rowguard mirror` in a JVM of its own, killed with SIGKILL at random moments while capture
 * journals about 50,000 changes in multi-row transactions (one of them larger than a Kafka
 * transaction of the mirror): a read_committed consumer still sees every change once, in order,
 * with the transaction topic's counts right.
 */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class MirrorCrashIT {
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
  void killedAtRandomPointsTheConsumerStillSeesEveryChangeOnce() throws Exception {
    long seed = Long.getLong("rowguard.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    pg.exec(
        "CREATE TABLE mc_a (id int PRIMARY KEY, v int, note text)",
        "CREATE TABLE mc_b (id int PRIMARY KEY, v int)",
        "ALTER TABLE mc_a REPLICA IDENTITY FULL",
        "ALTER TABLE mc_b REPLICA IDENTITY FULL");
    Map<String, String> p = pg.configProperties(dir.resolve("journal"), "public.mc_.*", "mcrash");
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", "mc");
    Path configFile = Cli.writeConfig(dir.resolve("mirror.properties"), p);
    RowguardConfig config = RowguardConfig.load(configFile);
    Path log = dir.resolve("mirror.log");

    Process capture = Cli.startCapture(configFile, dir.resolve("capture.log"));
    try {
      pg.awaitStreaming(config);
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread load =
          new Thread(
              () -> {
                try {
                  write(50_000, new Random(seed + 1));
                } catch (Throwable t) {
                  failed.set(t);
                }
              });
      load.start();
      int kills = 0;
      while (kills < KILLS) {
        Process mirror = Cli.start("-Xmx256m", log, List.of("mirror", "-c", configFile.toString()));
        Thread.sleep(1500 + random.nextInt(2500));
        assertThat(mirror.isAlive()).as("mirror running (see %s)", log).isTrue();
        mirror.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        kills++;
      }
      load.join();
      assertThat(failed.get()).isNull();
      List<JournalEntry> journaled = new ArrayList<>();
      try (Journal journal = Journal.openReader(config.journalDir())) {
        JournalAwait.caughtUp(config, journal);
        journal.refresh();
        journal.scan(1, journaled::add);
      }
      assertThat(journaled.size()).isGreaterThanOrEqualTo(50_000);

      // the last run, bounded, publishes the rest and exits 0
      Process last =
          Cli.start(
              "-Xmx256m",
              log,
              List.of(
                  "mirror",
                  "-c",
                  configFile.toString(),
                  "--until",
                  Long.toString(journaled.get(journaled.size() - 1).seq())));
      assertThat(last.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(last.exitValue()).as("last mirror run (see %s)", log).isZero();

      MirrorChecks.exactlyOnce(journaled, kafka.readCommitted("mc"), "mc");
      assertThat(capture.isAlive()).as("capture ran throughout").isTrue();
      assertThat(Files.readString(log)).doesNotContain("Exception");
    } catch (AssertionError e) {
      throw new AssertionError("seed " + seed + ": " + e.getMessage(), e);
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
    }
  }

  /**
   * About {@code changes} changes: transactions of 1 to 60 inserts, updates and deletes over both
   * tables, and one of 12,000 inserts (more than one Kafka transaction of the mirror holds).
   */
  private static void write(int changes, Random random) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      int written = 0;
      int nextId = 1;
      boolean large = false;
      while (written < changes) {
        if (!large && written > changes / 3) {
          s.executeUpdate("INSERT INTO mc_b SELECT g, g FROM generate_series(1, 12000) g");
          c.commit();
          large = true;
          written += 12_000;
          continue;
        }
        int n = 1 + random.nextInt(60);
        switch (random.nextInt(3)) {
          case 0 -> {
            written +=
                s.executeUpdate(
                    "INSERT INTO mc_a SELECT g, g, 'n' FROM generate_series("
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
                    "UPDATE mc_a SET v = v + 1 WHERE id BETWEEN " + from + " AND " + (from + n));
          }
          default -> {
            int from = 1 + random.nextInt(Math.max(1, nextId));
            written +=
                s.executeUpdate(
                    "DELETE FROM mc_a WHERE id BETWEEN " + from + " AND " + (from + n / 4));
            written += s.executeUpdate("UPDATE mc_b SET v = v - 1 WHERE id <= " + n);
          }
        }
        c.commit();
      }
    }
  }
}
