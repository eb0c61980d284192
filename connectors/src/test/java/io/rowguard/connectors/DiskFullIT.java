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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's disk fills up while capture runs: capture stops with one clear error, what is
 * journaled stays intact and verifiable, and once there is room again capture resumes without
 * losing anything. The disk is a small tmpfs the test mounts (root on Linux; skipped elsewhere).
 */
@ExtendWith(PostgresExtension.class)
class DiskFullIT {
  @TempDir Path dir;

  @Test
  void aFullDiskStopsCaptureCleanlyAndNothingIsLostOnceThereIsRoom(PostgresFixture pg)
      throws Exception {
    Path disk = dir.resolve("disk");
    Files.createDirectories(disk);
    assumeTrue(sh("mount -t tmpfs -o size=6m tmpfs " + disk), "cannot mount a tmpfs here");
    try {
      pg.exec(
          "CREATE TABLE full_t (id bigint PRIMARY KEY, payload text)",
          "ALTER TABLE full_t REPLICA IDENTITY FULL");
      Map<String, String> props =
          pg.configProperties(disk.resolve("journal"), "public.full_t", "full");
      RowguardConfig config = RowguardConfig.of(dir.resolve("full.properties"), props, e -> null);
      ChangeOracle oracle;
      String failure;
      long before;
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        pg.awaitStreaming(config);
        oracle = ChangeOracle.start(pg, "full_oracle");
        // incompressible payloads, far more than 6 MB of them
        for (int i = 0; i < 40; i++) {
          pg.exec(
              "INSERT INTO full_t SELECT g, (SELECT string_agg(md5(random()::text), '') FROM"
                  + " generate_series(1, 16)) || g FROM generate_series("
                  + (i * 500 + 1)
                  + ", "
                  + (i * 500 + 500)
                  + ") g");
        }
        assertThat(capture.awaitTermination(Duration.ofSeconds(120)))
            .as("capture stops when the disk is full")
            .isTrue();
        assertThat(capture.state()).isEqualTo(Capture.State.FAILED);
        failure = capture.failure().orElseThrow().getMessage();
      }
      assertThat(failure).contains("disk is full").contains(disk.toString()).doesNotContain("\n");
      try (Journal journal = Journal.openReader(config.journalDir())) {
        // still on the full disk: what was journaled is intact
        VerifyReport r = journal.verify(Journal.Progress.NONE);
        assertThat(r.ok()).as("%s", r.problem()).isTrue();
        before = journal.changeCount();
        assertThat(before).isPositive().isLessThan(20_000);
        assertThat(ChangeOracle.journaled(journal))
            .isEqualTo(oracle.changes().subList(0, (int) before));
      }
      assertThat(sh("mount -o remount,size=200m " + disk)).isTrue();
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        List<String> expected = oracle.changes();
        assertThat(expected).hasSize(20_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (journal.changeCount() < 20_000 && System.nanoTime() < deadline) {
          assertThat(capture.failure()).isEmpty();
          Thread.sleep(200);
        }
        assertThat(ChangeOracle.journaled(journal)).isEqualTo(expected);
        assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
      }
    } finally {
      sh("umount " + disk);
    }
  }

  static boolean sh(String command) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", command + " 2>/dev/null").start();
    return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
  }
}
