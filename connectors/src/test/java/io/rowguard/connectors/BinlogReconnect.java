package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1 across lost connections on MariaDB and MySQL (a subclass each): the binlog dump
 * thread serving capture is killed twice and the server is killed (SIGKILL) and started again
 * mid-stream while writers keep going (reconnecting after the crash). The journal equals what the
 * binlog holds, read independently by the server's own binlog decoder: nothing lost, nothing
 * doubled. Each subclass starts a server of its own, since this one is killed.
 */
abstract class BinlogReconnect {
  /** A new server of the subclass's kind. */
  abstract BinlogServer startServer();

  @TempDir Path dir;

  @Test
  void killedDumpThreadsAndAServerCrashLoseAndDoubleNothing() throws Exception {
    try (BinlogServer db = startServer()) {
      db.exec(
          "CREATE TABLE shop.rc_a (id bigint PRIMARY KEY, v int, note varchar(40))",
          "INSERT INTO shop.rc_a (id, v, note) VALUES "
              + BinlogServer.rows(100, i -> i + ", 0, 'seed'"));
      RowguardConfig config = db.config(dir.resolve("journal"), "shop\\.rc_.*", 5151);
      long seed = Long.getLong("rowguard.faults.seed", System.nanoTime());
      Random random = new Random(seed);
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        JournalAwait.entries(journal, 100);
        BinlogOracle oracle = BinlogOracle.start(db);
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread load = new Thread(() -> write(db, writing, new Random(seed + 1)));
        load.start();
        for (int fault = 0; fault < 3; fault++) {
          Thread.sleep(800 + random.nextInt(1200));
          if (fault == 1) {
            db.crashAndRestart();
          } else {
            killDumpThreads(db);
          }
        }
        Thread.sleep(1000);
        writing.set(false);
        load.join();

        List<String> expected = oracle.changes("rc_");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        List<String> journaled = ChangeOracle.journaled(journal);
        while (journaled.size() < expected.size() && System.nanoTime() < deadline) {
          assertThat(capture.failure()).as("capture failed").isEmpty();
          Thread.sleep(500);
          journaled = ChangeOracle.journaled(journal);
        }
        assertThat(expected).hasSizeGreaterThan(2_000);
        assertThat(journaled)
            .as("journal after killed dump threads and a crash (seed %d)", seed)
            .hasSize(expected.size())
            .isEqualTo(expected);
        assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
      }
    }
  }

  /** Multi-row inserts and updates in transactions, reconnecting whenever the server went away. */
  private static void write(BinlogServer db, AtomicBoolean writing, Random random) {
    long next = 1_000;
    while (writing.get()) {
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        while (writing.get()) {
          c.setAutoCommit(false);
          StringBuilder rows = new StringBuilder("INSERT INTO rc_a VALUES ");
          for (int i = 0; i < 50; i++) {
            rows.append(i == 0 ? "" : ",").append("(").append(next++).append(", 1, 'bulk')");
          }
          s.execute(rows.toString());
          s.execute("UPDATE rc_a SET v = v + 1 WHERE id % 13 = " + random.nextInt(13));
          c.commit();
          Thread.sleep(20);
        }
      } catch (SQLException e) {
        sleep(200); // the server is restarting: connect again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void killDumpThreads(BinlogServer db) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW PROCESSLIST")) {
      List<Long> ids = new java.util.ArrayList<>();
      while (rs.next()) {
        if (rs.getString("Command").startsWith("Binlog Dump")) {
          ids.add(rs.getLong("Id"));
        }
      }
      for (long id : ids) {
        try (Statement k = c.createStatement()) {
          k.execute("KILL " + id);
        }
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
