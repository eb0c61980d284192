package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.ChangeOracle;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.connectors.Workload;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 1, nothing lost and nothing doubled: `rowguard capture` runs in a child JVM and is
 * killed with SIGKILL at random moments while a workload of COPY, multi-row INSERT, large and small
 * transactions runs. After the last restart has drained the slot, the journal's changes equal the
 * source's committed change sequence, read independently through a second slot with PostgreSQL's
 * test_decoding plugin.
 */
@ExtendWith(PostgresExtension.class)
class CrashRecoveryIT {
  private static final int KILLS = Integer.getInteger("rowguard.crash.kills", 10);

  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  @Test
  void killedAtRandomPointsTheJournalStillEqualsTheSourceChangeSequence() throws Exception {
    long seed = Long.getLong("rowguard.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    Workload workload = new Workload(pg, "crash");
    workload.createTables();
    Path config = dir.resolve("crash.properties");
    Cli.writeConfig(
        config, pg.configProperties(dir.resolve("journal"), "public.crash_.*", "crash"));

    Process capture = startCapture(config);
    pg.awaitStreaming(pg.config(dir.resolve("journal"), "public.crash_.*", "crash"));
    // The oracle starts once the initial snapshot is durable: a capture killed before that
    // snapshots again on restart, folding earlier changes into its base versions.
    awaitSnapshotJournaled(100);
    ChangeOracle oracle = ChangeOracle.start(pg, "crash_oracle");

    AtomicReference<Throwable> workloadError = new AtomicReference<>();
    Thread load =
        new Thread(
            () -> {
              try {
                workload.run(Math.max(40, KILLS * 4), new Random(seed + 1));
              } catch (Throwable t) {
                workloadError.set(t);
              }
            });
    load.start();
    int kills = 0;
    int starts = 1;
    while (kills < KILLS) {
      awaitCaptureStarted(starts, capture);
      Thread.sleep(random.nextInt(1500));
      if (!capture.isAlive()) {
        capture = startCapture(config); // it may exit if the slot was still held
        starts++;
        continue;
      }
      capture.destroyForcibly().waitFor();
      kills++;
      capture = startCapture(config);
      starts++;
    }
    load.join();
    assertThat(workloadError.get()).isNull();

    List<String> expected = oracle.changes();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    List<String> journaled = ChangeOracle.journaled(dir.resolve("journal"));
    while (journaled.size() < expected.size() && System.nanoTime() < deadline) {
      if (!capture.isAlive()) {
        capture = startCapture(config);
        starts++;
      }
      Thread.sleep(500);
      journaled = ChangeOracle.journaled(dir.resolve("journal"));
    }
    // SIGTERM once capture runs: a JVM signalled before it installs its hooks exits 143
    awaitCaptureStarted(starts, capture);
    capture.destroy(); // SIGTERM: a clean stop
    assertThat(capture.waitFor()).as("exit code after SIGTERM").isZero();
    assertThat(Files.readString(dir.resolve("capture.log")))
        .as("SIGTERM finishes and commits the current batch")
        .contains("Stopping:");
    journaled = ChangeOracle.journaled(dir.resolve("journal"));
    Files.copy(
        dir.resolve("capture.log"),
        Path.of("target", "crash-capture.log"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThat(expected).as("workload size").hasSizeGreaterThan(5_000);
    assertThat(journaled)
        .as("journal after %d kills (seed %d)", kills, seed)
        .hasSize(expected.size())
        .isEqualTo(expected);
    assertThat(Cli.run("verify", "-c", config.toString()).exit()).isZero();
  }

  private void awaitSnapshotJournaled(long rows) throws Exception {
    Path journalDir = dir.resolve("journal");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(journalDir.resolve("CURRENT"))) {
        try (Journal journal = Journal.openReader(journalDir)) {
          if (journal.changeCount() >= rows) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the initial snapshot was not journaled within 60 s");
  }

  /** Waits until the capture's log says it started for the {@code starts}-th time. */
  private void awaitCaptureStarted(int starts, Process capture) throws Exception {
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

  private Process startCapture(Path config) throws Exception {
    return Cli.startCapture(config, dir.resolve("capture.log"));
  }
}
