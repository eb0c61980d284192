package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.journal.Journal;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * Invariant 1, nothing lost and nothing doubled: `rowguard capture` runs in a child JVM and is
 * killed with SIGKILL at random moments while a workload of COPY, multi-row INSERT, large and small
 * transactions runs. After the last restart has drained the slot, the journal's changes equal the
 * source's committed change sequence, read independently through a second slot with PostgreSQL's
 * test_decoding plugin.
 */
class CrashRecoveryIT {
  private static final int KILLS = Integer.getInteger("rowguard.crash.kills", 5);
  private static final Pattern CHANGE =
      Pattern.compile("^table public\\.(\\w+): (INSERT|UPDATE|DELETE): (.*)$");
  private static final Pattern ID = Pattern.compile("\\bid\\[bigint]:(-?\\d+)");

  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres() {
    pg = PostgresFixture.start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    pg.close();
  }

  @TempDir Path dir;

  @Test
  void killedAtRandomPointsTheJournalStillEqualsTheSourceChangeSequence() throws Exception {
    long seed = Long.getLong("rowguard.crash.seed", System.nanoTime());
    Random random = new Random(seed);
    pg.exec(
        "CREATE TABLE crash_a (id bigint PRIMARY KEY, v int NOT NULL, payload text)",
        "CREATE TABLE crash_b (id bigint PRIMARY KEY, n int NOT NULL)",
        "ALTER TABLE crash_a REPLICA IDENTITY FULL",
        "ALTER TABLE crash_b REPLICA IDENTITY FULL",
        "INSERT INTO crash_a SELECT g, 0, 'seed' FROM generate_series(1, 100) g");
    Path config = dir.resolve("crash.properties");
    Map<String, String> props =
        pg.configProperties(dir.resolve("journal"), "public.crash_.*", "crash");
    Files.writeString(
        config,
        props.entrySet().stream()
            .map(e -> e.getKey() + "=" + e.getValue())
            .collect(Collectors.joining("\n")));

    Process capture = startCapture(config);
    pg.awaitStreaming(pg.config(dir.resolve("journal"), "public.crash_.*", "crash"));
    // The oracle starts once the initial snapshot is durable: a capture killed before that
    // snapshots again on restart, folding earlier changes into its base versions.
    awaitSnapshotJournaled(100);
    pg.exec("SELECT pg_create_logical_replication_slot('crash_oracle', 'test_decoding')");

    AtomicBoolean workloadDone = new AtomicBoolean();
    AtomicReference<Throwable> workloadError = new AtomicReference<>();
    Thread workload =
        new Thread(
            () -> {
              try {
                runWorkload(new Random(seed + 1));
              } catch (Throwable t) {
                workloadError.set(t);
              } finally {
                workloadDone.set(true);
              }
            });
    workload.start();
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
    workload.join();
    assertThat(workloadError.get()).isNull();

    List<String> expected = sourceChanges();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    List<String> journaled = journaledChanges();
    while (journaled.size() < expected.size() && System.nanoTime() < deadline) {
      if (!capture.isAlive()) {
        capture = startCapture(config);
      }
      Thread.sleep(500);
      journaled = journaledChanges();
    }
    capture.destroy(); // SIGTERM: a clean stop
    assertThat(capture.waitFor()).as("exit code after SIGTERM").isZero();
    assertThat(Files.readString(dir.resolve("capture.log")))
        .as("SIGTERM finishes and commits the current batch")
        .contains("Stopping:");
    journaled = journaledChanges();
    Files.copy(
        dir.resolve("capture.log"),
        Path.of("target", "crash-capture.log"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThat(expected).as("workload size").hasSizeGreaterThan(5_000);
    assertThat(journaled)
        .as("journal after %d kills (seed %d)", kills, seed)
        .hasSize(expected.size())
        .isEqualTo(expected);
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
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "capture",
            "-c",
            config.toString(),
            "--progress-interval",
            "0");
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("capture.log").toFile()));
    return pb.start();
  }

  private static void runWorkload(Random random) throws Exception {
    long nextId = 1_000;
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      for (int round = 0; round < 40; round++) {
        switch (round % 4) {
          case 0 -> {
            StringBuilder rows = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
              rows.append(nextId++).append("\t1\tcopied\n");
            }
            c.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("COPY crash_a FROM STDIN", new StringReader(rows.toString()));
          }
          case 1 -> {
            StringBuilder sql = new StringBuilder("INSERT INTO crash_b VALUES ");
            for (int i = 0; i < 100; i++) {
              sql.append(i == 0 ? "" : ",").append('(').append(nextId++).append(", 0)");
            }
            s.execute(sql.toString());
          }
          case 2 -> {
            c.setAutoCommit(false);
            s.execute("UPDATE crash_a SET v = v + 1 WHERE id % 3 = " + random.nextInt(3));
            s.execute("DELETE FROM crash_b WHERE id % 7 = " + random.nextInt(7));
            c.commit();
            c.setAutoCommit(true);
          }
          default -> {
            for (int i = 0; i < 30; i++) {
              s.execute(
                  "UPDATE crash_a SET payload = 'small "
                      + i
                      + "' WHERE id = "
                      + (1 + random.nextInt(100)));
            }
          }
        }
        Thread.sleep(random.nextInt(300));
      }
    }
  }

  /** The committed changes after the oracle slot, as "tx table op id". */
  private static List<String> sourceChanges() throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT xid, data FROM pg_logical_slot_peek_changes('crash_oracle', NULL, NULL)")) {
      while (rs.next()) {
        Matcher m = CHANGE.matcher(rs.getString(2));
        if (!m.matches()) {
          continue;
        }
        String op = m.group(2);
        String tuple = m.group(3);
        int newTuple = tuple.indexOf("new-tuple:");
        Matcher id = ID.matcher(newTuple >= 0 ? tuple.substring(newTuple) : tuple);
        if (!id.find()) {
          throw new AssertionError("no id in " + rs.getString(2));
        }
        out.add(rs.getString(1) + " " + m.group(1) + " " + op + " " + id.group(1));
      }
    }
    return out;
  }

  private List<String> journaledChanges() {
    Path journalDir = dir.resolve("journal");
    if (!Files.exists(journalDir.resolve("CURRENT"))) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    try (Journal journal = Journal.openReader(journalDir)) {
      journal.scan(
          1,
          e -> {
            ChangeEvent c = e.event();
            if (c.op() != Op.READ) {
              out.add(c.txId() + " " + c.table().name() + " " + c.op().name() + " " + c.key());
            }
            return true;
          });
    }
    return out;
  }
}
