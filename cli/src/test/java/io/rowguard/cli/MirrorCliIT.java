package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.KafkaBroker;
import io.rowguard.connectors.KafkaExtension;
import io.rowguard.connectors.MirrorChecks;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** `rowguard mirror` and `mirror.enabled` as users run them, against a real broker. */
@ExtendWith({PostgresExtension.class, KafkaExtension.class})
class MirrorCliIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  static PostgresFixture pg;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(PostgresFixture fixture, KafkaBroker broker) {
    pg = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void captureMirrorsInProcessAndStatusShowsHowFarBehindTheMirrorIs() throws Exception {
    pg.exec(
        "CREATE TABLE mcli_a (id int PRIMARY KEY, v text)",
        "ALTER TABLE mcli_a REPLICA IDENTITY FULL");
    Map<String, String> p = properties("public.mcli_a", "mcli1", "inproc");
    p.put("mirror.enabled", "true");
    Path config = Cli.writeConfig(dir.resolve("c.properties"), p);
    RowguardConfig cfg = RowguardConfig.load(config);
    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    try {
      pg.awaitStreaming(cfg);
      pg.exec("INSERT INTO mcli_a SELECT g, 'v' || g FROM generate_series(1, 500) g");
      List<JournalEntry> journaled = caughtUp(cfg);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      List<KafkaBroker.Seen> seen = List.of();
      while (System.nanoTime() < deadline) {
        seen = kafka.readCommitted("inproc");
        if (seen.stream().filter(s -> s.topic().equals("inproc.public.mcli_a")).count() >= 500) {
          break;
        }
        Thread.sleep(200);
      }
      MirrorChecks.exactlyOnce(journaled, seen, "inproc");

      // the mirror's stored position reaches the journal's end (stored once a second)
      JsonNode consumer = null;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline) {
        JsonNode status = JSON.readTree(Cli.ok("status", "-c", config.toString(), "--json").out());
        consumer = status.get("consumers").get(0);
        if (consumer != null && consumer.get("entriesBehind").asLong() == 0) {
          break;
        }
        Thread.sleep(500);
      }
      assertThat(consumer.get("name").asText()).isEqualTo("mirror-inproc");
      assertThat(consumer.get("entriesBehind").asLong()).isZero();
      assertThat(Cli.ok("status", "-c", config.toString()).out())
          .contains("consumer      mirror-inproc: up to entry");
      assertThat(capture.isAlive()).isTrue();
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void aBackoutsRecordsNameTheTransactionItUndid() throws Exception {
    pg.exec(
        "CREATE TABLE mcli_o (id int PRIMARY KEY, total numeric(10,2))",
        "ALTER TABLE mcli_o REPLICA IDENTITY FULL",
        "INSERT INTO mcli_o SELECT g, g FROM generate_series(1, 20) g");
    Map<String, String> p = properties("public.mcli_o", "mcli4", "undo");
    p.put("mirror.schemas", "false");
    Path config = Cli.writeConfig(dir.resolve("o.properties"), p);
    RowguardConfig cfg = RowguardConfig.load(config);
    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    try {
      pg.awaitStreaming(cfg);
      pg.exec("UPDATE mcli_o SET total = 0 WHERE id <= 5"); // the bad write
      pg.exec("UPDATE mcli_o SET total = 99 WHERE id = 20"); // later work, kept
      List<JournalEntry> journaled = caughtUp(cfg);
      String bad =
          journaled.stream()
              .filter(e -> e.event().op() == io.rowguard.core.Op.UPDATE)
              .findFirst()
              .orElseThrow()
              .event()
              .txId();
      Cli.ok("backout", "-c", config.toString(), "--tx", bad, "--apply", "--wait", "30s");
      Cli.ok("mirror", "-c", config.toString(), "--until", "end");
      List<KafkaBroker.Seen> rows =
          kafka.readCommitted("undo").stream()
              .filter(s -> s.topic().equals("undo.public.mcli_o") && s.value() != null)
              .toList();
      List<KafkaBroker.Seen> repairs =
          rows.stream().filter(s -> s.header("rowguard.rollback-of") != null).toList();
      assertThat(repairs).hasSize(5);
      assertThat(repairs)
          .allSatisfy(r -> assertThat(r.header("rowguard.rollback-of")).isEqualTo(bad));
      // schemaless: the envelope itself, no schema around it
      assertThat(repairs.get(0).value().has("schema")).isFalse();
      assertThat(repairs.get(0).value().get("op").asText()).isEqualTo("u");
      assertThat(rows.size() - repairs.size()).isEqualTo(26); // 20 read, 5 bad, 1 later
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void retentionKeepsWhatTheMirrorHasNotPublished() throws Exception {
    pg.exec(
        "CREATE TABLE mcli_r (id int PRIMARY KEY, v int)",
        "ALTER TABLE mcli_r REPLICA IDENTITY FULL");
    Map<String, String> p = properties("public.mcli_r", "mcli2", "ret");
    p.put("journal.retention", "1s");
    Path config = Cli.writeConfig(dir.resolve("r.properties"), p);
    RowguardConfig cfg = RowguardConfig.load(config);
    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    try {
      pg.awaitStreaming(cfg);
      pg.exec(
          "INSERT INTO mcli_r SELECT g, 0 FROM generate_series(1, 100) g",
          "UPDATE mcli_r SET v = -1");
      List<JournalEntry> before = caughtUp(cfg);
      long mirrored = before.get(before.size() - 1).seq();
      assertThat(
              Cli.ok("mirror", "-c", config.toString(), "--until", Long.toString(mirrored)).out())
          .contains("published 200 changes");
      pg.exec("UPDATE mcli_r SET v = 1", "UPDATE mcli_r SET v = 2");
      List<JournalEntry> all = caughtUp(cfg);
      // retention runs every 10 s with a 1 s window: it prunes what the mirror published only
      Thread.sleep(15_000);
      JsonNode status = JSON.readTree(Cli.ok("status", "-c", config.toString(), "--json").out());
      assertThat(status.get("retentionCut").isNull()).as("something was pruned").isFalse();
      List<JournalEntry> kept = caughtUp(cfg);
      assertThat(kept.stream().filter(e -> e.seq() > mirrored).toList())
          .as("every change after the mirror's position is kept")
          .hasSize(200);
      assertThat(kept.stream().filter(e -> e.seq() <= mirrored).count())
          .as("published versions no rollback needs are gone")
          .isEqualTo(100);

      Cli.ok("mirror", "-c", config.toString(), "--until", "end");
      List<KafkaBroker.Seen> seen = kafka.readCommitted("ret");
      MirrorChecks.exactlyOnce(all, seen, "ret");
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
    }
  }

  @Test
  void badInputIsOneLineExitTwoAndPublishesNothing() throws Exception {
    pg.exec("CREATE TABLE mcli_b (id int PRIMARY KEY)");
    Map<String, String> good = properties("public.mcli_b", "mcli3", "bad");
    Path journal = dir.resolve("j");
    good.put("journal.dir", journal.toString());
    try (Journal j = Journal.openWriter(journal)) {
      // an empty journal is enough for the refusals
    }
    List<Map<String, String>> configs = new ArrayList<>();
    for (String[] kv :
        new String[][] {
          {"mirror.bootstrap.server", "x:9092"},
          {"mirror.bootstrap.servers", "no-such-host.invalid:9092"},
          {"mirror.bootstrap.servers", "localhost"},
          {"mirror.topic.prefix", "not a topic!"},
          {"kafka.enable.idempotence", "false"},
          {"mirror.schemas", "maybe"},
        }) {
      Map<String, String> c = new HashMap<>(good);
      c.put(kv[0], kv[1]);
      configs.add(c);
    }
    int n = 0;
    for (Map<String, String> c : configs) {
      Path file = Cli.writeConfig(dir.resolve("bad" + (n++) + ".properties"), c);
      assertOneLineExitTwo(Cli.run("mirror", "-c", file.toString(), "--until", "end"));
    }
    Path file = Cli.writeConfig(dir.resolve("good.properties"), good);
    assertOneLineExitTwo(Cli.run("mirror", "-c", file.toString(), "--from", "5"));
    assertOneLineExitTwo(Cli.run("mirror", "-c", file.toString(), "--from", "yesterday"));
    assertThat(kafka.readCommitted("bad")).isEmpty();
  }

  private static void assertOneLineExitTwo(Cli.Result r) {
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err().strip().lines().count()).as(r.err()).isBetween(1L, 2L);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  private List<JournalEntry> caughtUp(RowguardConfig cfg) throws Exception {
    List<JournalEntry> out = new ArrayList<>();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      JournalAwait.caughtUp(cfg, journal);
      journal.refresh();
      journal.scan(1, out::add);
    }
    return out;
  }

  private Map<String, String> properties(String tables, String name, String prefix) {
    Map<String, String> p = pg.configProperties(dir.resolve(name), tables, name);
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", prefix);
    return p;
  }
}
