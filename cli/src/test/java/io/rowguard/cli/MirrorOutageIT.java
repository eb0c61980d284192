package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.KafkaBroker;
import io.rowguard.connectors.KafkaProcess;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker stopped for 30 s while the application writes, capture journals and the mirror
 * publishes, each in a JVM of its own: capture never pauses, the mirror says once what is wrong,
 * catches up when the broker is back, and a read_committed consumer sees every change once.
 */
@ExtendWith(PostgresExtension.class)
class MirrorOutageIT {
  static PostgresFixture pg;

  @BeforeAll
  static void start(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  @Test
  void aBrokerDownForThirtySecondsHoldsBackOnlyTheMirror() throws Exception {
    pg.exec(
        "CREATE TABLE mo_events (id bigint PRIMARY KEY, v int)",
        "ALTER TABLE mo_events REPLICA IDENTITY FULL");
    try (KafkaProcess kafka = KafkaProcess.start(dir.resolve("kafka"))) {
      Map<String, String> p =
          pg.configProperties(dir.resolve("journal"), "public.mo_events", "outage");
      p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
      p.put("mirror.topic.prefix", "mo");
      Path configFile = Cli.writeConfig(dir.resolve("outage.properties"), p);
      RowguardConfig config = RowguardConfig.load(configFile);
      Path mirrorLog = dir.resolve("mirror.log");
      Process capture = Cli.startCapture(configFile, dir.resolve("capture.log"));
      Process mirror = null;
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread load = new Thread(() -> write(writing, failed));
      try (Journal journal = waitForJournal(config)) {
        pg.awaitStreaming(config);
        mirror = Cli.start("-Xmx256m", mirrorLog, List.of("mirror", "-c", configFile.toString()));
        load.start();
        // mid-stream: the mirror has published (its first start creates Kafka's transaction log,
        // which takes seconds on a fresh broker)
        long connected = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (KafkaBroker.readCommitted(kafka.bootstrapServers(), "mo").isEmpty()
            && System.nanoTime() < connected) {
          Thread.sleep(500);
        }
        Thread.sleep(2_000);

        kafka.stop();
        List<Long> journaledDuringOutage = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Thread.sleep(10_000);
          journal.refresh();
          journaledDuringOutage.add(journal.changeCount());
        }
        kafka.start();
        assertThat(journaledDuringOutage).as("capture went on while Kafka was down").isSorted();
        assertThat(journaledDuringOutage.get(2)).isGreaterThan(journaledDuringOutage.get(0));
        assertThat(journaledDuringOutage).doesNotHaveDuplicates();

        Thread.sleep(3_000);
        writing.set(false);
        load.join();
        assertThat(failed.get()).isNull();
        JournalAwait.caughtUp(config, journal);
        journal.refresh();
        List<JournalEntry> journaled = new ArrayList<>();
        journal.scan(1, journaled::add);

        List<KafkaBroker.Seen> seen = List.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
          seen = KafkaBroker.readCommitted(kafka.bootstrapServers(), "mo");
          long published =
              seen.stream()
                  .filter(s -> s.topic().equals("mo.public.mo_events") && s.value() != null)
                  .count();
          if (published >= journaled.size()) {
            break;
          }
          Thread.sleep(1_000);
        }
        MirrorChecks.exactlyOnce(journaled, seen, "mo");
        assertThat(capture.isAlive()).isTrue();
        assertThat(mirror.isAlive()).as("the mirror rode the outage out").isTrue();
        mirror.destroy();
        assertThat(mirror.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String said = Files.readString(mirrorLog);
        said.lines().filter(l -> l.contains("mirror:")).forEach(System.out::println);
        long problems = said.lines().filter(l -> l.contains("did not take the records")).count();
        assertThat(problems).as(said).isBetween(1L, 4L);
        assertThat(said).contains("Kafka accepts records again");
      } finally {
        writing.set(false);
        capture.destroy();
        capture.waitFor(60, TimeUnit.SECONDS);
        if (mirror != null) {
          mirror.destroyForcibly();
        }
      }
    }
  }

  private static Journal waitForJournal(RowguardConfig config) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        return Journal.openReader(config.journalDir());
      } catch (RuntimeException notYet) {
        if (System.nanoTime() > deadline) {
          throw notYet;
        }
        Thread.sleep(200);
      }
    }
  }

  /** Small transactions (an insert and an update each) until told to stop. */
  private static void write(AtomicBoolean writing, AtomicReference<Throwable> failed) {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      long id = 0;
      while (writing.get()) {
        id++;
        s.execute(
            "BEGIN; INSERT INTO mo_events VALUES ("
                + id
                + ", 0); UPDATE mo_events SET v = v + 1 WHERE id = "
                + Math.max(1, id / 2)
                + "; COMMIT");
        Thread.sleep(5);
      }
    } catch (Throwable t) {
      failed.set(t);
    }
  }
}
