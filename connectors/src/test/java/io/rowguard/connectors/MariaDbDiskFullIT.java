package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.VerifyReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DiskFullIT} on MariaDB: the journal's disk fills up while capture reads the binlog;
 * capture stops with one clear error, what is journaled (and the schema history stored with it)
 * stays intact and verifiable, and once there is room again capture resumes from its last
 * transaction and loses nothing: the journal equals the server's own decoding of its binlog.
 */
@ExtendWith(MariaDbExtension.class)
class MariaDbDiskFullIT {
  private static final int ROWS = 20_000;

  @TempDir Path dir;

  @Test
  void aFullDiskStopsCaptureCleanlyAndNothingIsLostOnceThereIsRoom(MariaDbFixture db)
      throws Exception {
    Path disk = dir.resolve("disk");
    Files.createDirectories(disk);
    assumeTrue(DiskFullIT.sh("mount -t tmpfs -o size=6m tmpfs " + disk), "cannot mount a tmpfs");
    try {
      db.exec("CREATE TABLE shop.df_t (id bigint PRIMARY KEY, payload text)");
      RowguardConfig config = db.config(disk.resolve("journal"), "shop\\.df_t", 5353);
      BinlogOracle oracle;
      String failure;
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        JournalAwait.caughtUp(config, journal);
        oracle = BinlogOracle.start(db);
        // incompressible payloads, far more than 6 MB of them
        for (int i = 0; i < ROWS / 500; i++) {
          db.exec(
              "INSERT INTO shop.df_t SELECT seq + "
                  + (i * 500)
                  + ", CONCAT(SHA2(RAND(), 512), SHA2(RAND(), 512), SHA2(RAND(), 512),"
                  + " SHA2(RAND(), 512), seq) FROM shop.seq_1_to_500");
        }
        assertThat(capture.awaitTermination(Duration.ofSeconds(120)))
            .as("capture stops when the disk is full")
            .isTrue();
        assertThat(capture.state()).isEqualTo(Capture.State.FAILED);
        failure = capture.failure().orElseThrow().getMessage();
      }
      List<String> expected = oracle.changes("df_");
      assertThat(expected).hasSize(ROWS);
      assertThat(failure).contains("disk is full").contains(disk.toString()).doesNotContain("\n");
      try (Journal journal = Journal.openReader(config.journalDir())) {
        // still on the full disk: what was journaled is intact, and a prefix of the binlog
        VerifyReport r = journal.verify(Journal.Progress.NONE);
        assertThat(r.ok()).as("%s", r.problem()).isTrue();
        long before = journal.changeCount();
        assertThat(before).isPositive().isLessThan(ROWS);
        assertThat(ChangeOracle.journaled(journal)).isEqualTo(expected.subList(0, (int) before));
      }
      assertThat(DiskFullIT.sh("mount -o remount,size=200m " + disk)).isTrue();
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (journal.changeCount() < ROWS && System.nanoTime() < deadline) {
          assertThat(capture.failure()).isEmpty();
          Thread.sleep(200);
        }
        assertThat(ChangeOracle.journaled(journal)).isEqualTo(expected);
        assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
      }
    } finally {
      DiskFullIT.sh("umount " + disk);
    }
  }
}
