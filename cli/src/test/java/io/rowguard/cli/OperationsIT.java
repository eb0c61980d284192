package io.rowguard.cli;

import static io.rowguard.cli.Cli.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.PostgresFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What whoever runs capture sees: progress while a snapshot is read, one line per retry while the
 * database restarts, warnings about the WAL the slot holds, and gaps in status, verify and history.
 */
class OperationsIT {
  static PostgresFixture pg;
  @TempDir static Path pgData;
  @TempDir Path dir;

  @BeforeAll
  static void start() {
    pg = PostgresFixture.startRestartable(pgData.resolve("pg"));
  }

  @AfterAll
  static void stop() throws Exception {
    pg.close();
  }

  Path config(String include, String name, String... extra) throws Exception {
    Map<String, String> props = pg.configProperties(dir.resolve("journal-" + name), include, name);
    props.remove("source.publication.name");
    props.put("source.retriable.restart.connector.wait.ms", "1000");
    for (int i = 0; i < extra.length; i += 2) {
      props.put(extra[i], extra[i + 1]);
    }
    return Cli.writeConfig(dir.resolve(name + ".properties"), props);
  }

  static JsonNode json(Cli.Result r) throws Exception {
    return new ObjectMapper().readTree(r.out());
  }

  static void awaitEntries(Path config, long n) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      Cli.Result r = Cli.run("status", "-c", config.toString(), "--json");
      if (r.exit() == 0 && json(r).get("entries").asLong() >= n) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the journal did not reach " + n + " entries");
  }

  static void awaitLog(Path log, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no '" + text + "' in the capture log:\n" + Files.readString(log));
  }

  @Test
  void captureSaysWhatItDoesAndWhatItCosts() throws Exception {
    pg.exec(
        "CREATE TABLE ops_big (id int PRIMARY KEY, v text)",
        "ALTER TABLE ops_big REPLICA IDENTITY FULL",
        "INSERT INTO ops_big SELECT g, repeat('x', 50) FROM generate_series(1, 150000) g");
    // every byte of retained WAL is over this limit: the warning comes at once
    Path config = config("public.ops_big", "ops", "capture.warn-retained-wal", "1");
    Path log = dir.resolve("capture.log");
    Process capture = Cli.startCapture(config, log, "--progress-interval", "1");
    try {
      awaitLog(log, "snapshot: ");
      awaitEntries(config, 150_000);
      awaitLog(log, "of WAL on the server (capture.warn-retained-wal=");
      assertThat(Files.readString(log)).doesNotContain("journal holds 0, last commit none");
      JsonNode status = json(ok("status", "-c", config.toString(), "--json"));
      assertThat(status.get("database").get("retainedBytes").asLong()).isPositive();
      assertThat(ok("status", "-c", config.toString()).out())
          .contains("retained WAL")
          .contains("MORE than capture.warn-retained-wal");

      // the database restarts: one line per retry, no stack trace
      pg.restart();
      pg.exec("UPDATE ops_big SET v = 'after the restart' WHERE id = 1");
      awaitEntries(config, 150_001);
      String text = Files.readString(log);
      assertThat(text).contains("capture lost the database").contains("reconnecting in");
      assertThat(text).doesNotContain("ERROR").doesNotContain("\tat ");
    } finally {
      capture.destroy();
      assertThat(capture.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void gapsAreShownByStatusVerifyAndHistory() throws Exception {
    pg.exec(
        "CREATE TABLE ops_ri (id int PRIMARY KEY, v text)",
        "ALTER TABLE ops_ri REPLICA IDENTITY FULL",
        "INSERT INTO ops_ri VALUES (1, 'a'), (2, 'b')");
    Path config = config("public.ops_ri", "opsri");
    Process capture = Cli.startCapture(config, dir.resolve("ri.log"));
    try {
      awaitEntries(config, 2);
      pg.exec(
          "ALTER TABLE ops_ri REPLICA IDENTITY DEFAULT",
          "UPDATE ops_ri SET v = 'changed' WHERE id = 1");
      awaitEntries(config, 3);
      String c = config.toString();
      assertThat(ok("status", "-c", c).out())
          .contains("gap           table public.ops_ri")
          .contains("now (open)")
          .contains("REPLICA IDENTITY FULL");
      assertThat(ok("verify", "-c", c).out())
          .contains("intact")
          .contains("complete: no, 1 gap(s) recorded (1 open)");
      assertThat(ok("history", "-c", c, "--table", "ops_ri", "--key", "1").out())
          .contains("v: a -> changed")
          .contains("note: gap in table public.ops_ri");
      JsonNode verify = json(ok("verify", "-c", c, "--json"));
      assertThat(verify.get("complete").asBoolean()).isFalse();
      assertThat(verify.get("gaps").get(0).get("changesLost").asBoolean()).isFalse();
    } finally {
      capture.destroy();
      assertThat(capture.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
  }
}
