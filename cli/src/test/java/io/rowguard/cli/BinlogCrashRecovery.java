package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.BinlogOracle;
import io.rowguard.connectors.BinlogServer;
import io.rowguard.connectors.ChangeOracle;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 on MariaDB and MySQL (a subclass each): `rowguard capture` runs in a child JVM and is
 * killed with SIGKILL at random moments while multi-row inserts, large and small transactions and a
 * schema change run. After the last restart has caught up, the journal's changes equal the server's
 * committed change sequence as its own binlog decoder ({@code mariadb-binlog}, {@code mysqlbinlog})
 * decodes it, GTID by GTID.
 */
abstract class BinlogCrashRecovery {
  private static final int KILLS = Integer.getInteger("rowguard.crash.kills", 6);

  /** The server under test: each subclass sets it before its test. */
  static BinlogServer db;

  @TempDir Path dir;

  @Test
  void killedAtRandomPointsTheJournalStillEqualsTheBinlog() throws Exception {
    long seed = Long.getLong("rowguard.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    db.exec(
        "CREATE TABLE shop.crash_a (id bigint PRIMARY KEY, v int, note varchar(64))",
        "CREATE TABLE shop.crash_b (id bigint PRIMARY KEY, a bigint, amount decimal(12,2))",
        "INSERT INTO shop.crash_a (id, v, note) VALUES "
            + BinlogServer.rows(100, i -> i + ", 0, 'seed'"));
    Path config = dir.resolve("crash.properties");
    Path journal = dir.resolve("journal");
    Cli.writeConfig(config, db.configProperties(journal, "shop\\.crash_.*", 4242));

    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    awaitJournaled(journal, 100);
    BinlogOracle oracle = BinlogOracle.start(db);

    AtomicReference<Throwable> loadError = new AtomicReference<>();
    Thread load =
        new Thread(
            () -> {
              try {
                run(Math.max(30, KILLS * 5), new Random(seed + 1));
              } catch (Throwable t) {
                loadError.set(t);
              }
            });
    load.start();
    int kills = 0;
    int starts = 1;
    while (kills < KILLS) {
      awaitStarted(starts, capture);
      Thread.sleep(random.nextInt(2000));
      if (capture.isAlive()) {
        capture.destroyForcibly().waitFor();
        kills++;
      }
      capture = Cli.startCapture(config, dir.resolve("capture.log"));
      starts++;
    }
    load.join();
    assertThat(loadError.get()).isNull();

    List<String> expected = oracle.changes("crash_");
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    List<String> journaled = ChangeOracle.journaled(journal);
    while (journaled.size() < expected.size() && System.nanoTime() < deadline) {
      if (!capture.isAlive()) {
        capture = Cli.startCapture(config, dir.resolve("capture.log"));
        starts++;
      }
      Thread.sleep(500);
      journaled = ChangeOracle.journaled(journal);
    }
    // SIGTERM once capture runs: a JVM signalled before it installs its hooks exits 143
    awaitStarted(starts, capture);
    capture.destroy();
    assertThat(capture.waitFor()).as("exit code after SIGTERM").isZero();
    journaled = ChangeOracle.journaled(journal);
    Files.copy(
        dir.resolve("capture.log"),
        Path.of("target", getClass().getSimpleName() + "-capture.log"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThat(expected).as("workload size").hasSizeGreaterThan(5_000);
    assertThat(journaled)
        .as("journal after %d kills (seed %d)", kills, seed)
        .hasSize(expected.size())
        .isEqualTo(expected);
    assertThat(Cli.run("verify", "-c", config.toString()).exit()).isZero();
  }

  /** Multi-row inserts, a large transaction over both tables, small ones, and one ALTER. */
  private static void run(int rounds, Random random) throws Exception {
    long next = 1_000;
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      for (int round = 0; round < rounds; round++) {
        StringBuilder rows = new StringBuilder("INSERT INTO crash_a (id, v, note) VALUES ");
        for (int i = 0; i < 200; i++) {
          rows.append(i == 0 ? "" : ",").append("(").append(next++).append(", 1, 'bulk')");
        }
        s.execute(rows.toString());
        c.setAutoCommit(false);
        s.execute("UPDATE crash_a SET v = v + 1 WHERE id % 7 = " + random.nextInt(7));
        s.execute(
            "INSERT INTO crash_b VALUES ("
                + next
                + ", "
                + (next - 1)
                + ", "
                + random.nextInt(10_000)
                + ".25)");
        next++;
        c.commit();
        c.setAutoCommit(true);
        for (int i = 0; i < 10; i++) {
          s.execute("UPDATE crash_b SET amount = amount + 1 ORDER BY id DESC LIMIT 1");
        }
        s.execute("DELETE FROM crash_a WHERE id = " + (next - 150));
        if (round == rounds / 2) {
          s.execute("ALTER TABLE crash_a ADD COLUMN extra int DEFAULT 7");
        }
        Thread.sleep(50);
      }
    }
  }

  /** Waits until the capture's log says it started for the {@code starts}-th time. */
  private void awaitStarted(int starts, Process capture) throws Exception {
    Path log = dir.resolve("capture.log");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline && capture.isAlive()) {
      if (Files.exists(log)
          && Files.readAllLines(log).stream().filter(l -> l.contains("Capturing")).count()
              >= starts) {
        return;
      }
      Thread.sleep(50);
    }
  }

  private static void awaitJournaled(Path journal, long n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(journal.resolve("CURRENT"))) {
        try (Journal j = Journal.openReader(journal)) {
          if (j.changeCount() >= n) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the initial snapshot was not journaled within 60 s");
  }
}
