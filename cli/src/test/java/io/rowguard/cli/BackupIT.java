package io.rowguard.cli;

import static io.rowguard.cli.Cli.ok;
import static io.rowguard.cli.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backups taken while `rowguard capture` runs (in its own JVM, asked over its control socket),
 * restored, verified, and resumed from: what the replication slot still holds is journaled; what it
 * no longer holds is refused as a gap until accepted, and never rolled back into.
 */
@ExtendWith(PostgresExtension.class)
class BackupIT {
  static PostgresFixture pg;

  @TempDir Path dir;

  @BeforeAll
  static void start(PostgresFixture fixture) throws Exception {
    pg = fixture;
  }

  @Test
  void backUpUnderCaptureRestoreVerifyAndResume() throws Exception {
    pg.exec(
        "CREATE TABLE b1 (id int PRIMARY KEY, v text)",
        "ALTER TABLE b1 REPLICA IDENTITY FULL",
        "INSERT INTO b1 SELECT g, 'seed' FROM generate_series(1, 20) g");
    Path config = config("public.b1", "backup1");
    Path backups = dir.resolve("backups");
    Process capture = startCapture(config);
    try {
      awaitChanges(config, 20);
      insert("b1", 100, 199);
      awaitChanges(config, 120);
      JsonNode first =
          json(ok("backup", "-c", config.toString(), "--to", backups.toString(), "--json"));
      assertThat(first.get("id").asInt()).isEqualTo(1);
      assertThat(first.get("changes").asLong()).isGreaterThanOrEqualTo(120);
      insert("b1", 200, 249);
      awaitChanges(config, 170);
      Cli.Result second = ok("backup", "-c", config.toString(), "--to", backups.toString());
      assertThat(second.out()).startsWith("backup 2 of ");
      assertThat(Files.readString(dir.resolve("capture.log")))
          .contains("asked by `rowguard backup`");
    } finally {
      stopCapture(capture);
    }
    JsonNode listed =
        json(ok("backups", "-c", config.toString(), "--from", backups.toString(), "--json"));
    assertThat(listed.get("backups")).hasSize(2);
    assertThat(ok("backups", "-c", config.toString(), "--from", backups.toString()).out())
        .contains("ID")
        .contains("CHANGES");

    // written while capture is stopped: the slot holds it
    insert("b1", 300, 324);
    Cli.Result restored =
        ok("restore", "-c", config.toString(), "--from", backups.toString(), "--backup-id", "2");
    assertThat(restored.out())
        .contains("restored backup 2")
        .contains("verified")
        .contains("before-restore-");
    capture = startCapture(config);
    try {
      awaitChanges(config, 195);
      ok("verify", "-c", config.toString());
    } finally {
      stopCapture(capture);
    }
    try (Journal j = Journal.openReader(journalDir(config))) {
      assertThat(j.changeCount()).isEqualTo(20 + 100 + 50 + 25);
      assertThat(j.gaps()).isEmpty();
    }
  }

  @Test
  void aRestoreOlderThanTheSlotIsAGapRefusedUntilAccepted() throws Exception {
    pg.exec(
        "CREATE TABLE b2 (id int PRIMARY KEY, v text)",
        "ALTER TABLE b2 REPLICA IDENTITY FULL",
        "INSERT INTO b2 SELECT g, 'seed' FROM generate_series(1, 10) g");
    Path config = config("public.b2", "backup2");
    Path backups = dir.resolve("backups2");
    Process capture = startCapture(config);
    Instant inGap;
    try {
      awaitChanges(config, 10);
      ok("backup", "-c", config.toString(), "--to", backups.toString());
      Thread.sleep(50);
      inGap = Instant.now();
      insert("b2", 100, 149); // journaled, and confirmed to the slot, after the backup
      awaitChanges(config, 60);
    } finally {
      stopCapture(capture);
    }
    ok("restore", "-c", config.toString(), "--from", backups.toString());

    Cli.Result refused = run("capture", "-c", config.toString());
    assertThat(refused.exit()).as(refused.err()).isEqualTo(2);
    assertThat(refused.err())
        .contains("the journal ends at")
        .contains("no longer on the server")
        .contains("--accept-gap");

    insert("b2", 200, 209); // after the restore
    capture = startCapture(config, "--accept-gap");
    try {
      // every row is snapshotted again after the gap: 10 + 50 + 10 new base versions
      awaitChanges(config, 10 + 70);
      ok("verify", "-c", config.toString());
      JsonNode status = json(ok("status", "-c", config.toString(), "--json"));
      assertThat(status.get("gaps").asInt()).isEqualTo(1);
      Cli.Result rollback =
          run(
              "rollback",
              "-c",
              config.toString(),
              "--table",
              "b2",
              "--to",
              inGap.plusMillis(10).toString());
      assertThat(rollback.exit()).as(rollback.err()).isEqualTo(2);
      assertThat(rollback.err()).contains("falls in a gap of the journal");
    } finally {
      stopCapture(capture);
    }
    try (Journal j = Journal.openReader(journalDir(config))) {
      // the 50 inserts of the gap are lost, and said so; the rows they made are base versions
      assertThat(j.changeCount()).isEqualTo(10 + 70);
      assertThat(j.gaps()).hasSize(1);
    }
  }

  // ---------------------------------------------------------------- helpers

  Path config(String include, String name) throws Exception {
    Map<String, String> props = pg.configProperties(dir.resolve("journal-" + name), include, name);
    // no heartbeat moves the slot while the test looks
    props.put("source.heartbeat.interval.ms", "3600000");
    return Cli.writeConfig(dir.resolve(name + ".properties"), props);
  }

  Path journalDir(Path config) {
    return dir.resolve("journal-" + config.getFileName().toString().replace(".properties", ""));
  }

  static void insert(String table, int from, int to) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      s.execute(
          "INSERT INTO "
              + table
              + " SELECT g, 'v' FROM generate_series("
              + from
              + ", "
              + to
              + ") g");
    }
  }

  void awaitChanges(Path config, long n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Path journalDir = journalDir(config);
    long seen = -1;
    while (System.nanoTime() < deadline) {
      if (Files.exists(journalDir.resolve("CURRENT"))) {
        try (Journal j = Journal.openReader(journalDir)) {
          seen = j.changeCount();
          if (seen >= n) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "journal has "
            + seen
            + " changes, expected "
            + n
            + ":\n"
            + Files.readString(dir.resolve("capture.log")));
  }

  Process startCapture(Path config, String... extra) throws Exception {
    return Cli.startCapture(config, dir.resolve("capture.log"), extra);
  }

  static void stopCapture(Process p) throws Exception {
    p.destroy();
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
  }

  static JsonNode json(Cli.Result r) throws Exception {
    return new ObjectMapper().readTree(r.out());
  }

  static long count(String table) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
