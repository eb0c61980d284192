package io.rowguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The end-to-end benchmark at toy sizes, so that it keeps working; its figures mean nothing. */
class EndToEndIT {
  @TempDir Path dir;

  @Test
  void everyPartRunsAndReports() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Path json = dir.resolve("results.json");
    EndToEnd.Options o =
        EndToEnd.Options.parse(
            new String[] {
              "--changes",
              "4000",
              "--runs",
              "1",
              "--latency-seconds",
              "2",
              "--rate",
              "500",
              "--history-events",
              "20000",
              "--rollback-rows",
              "2000",
              "--json",
              json.toString(),
              "--work",
              dir.toString()
            });
    new EndToEnd(o, new PrintStream(bytes, true, StandardCharsets.UTF_8)).run();
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains("1. capture")
        .contains("Debezium Embedded, no-op Connect consumer")
        .contains("2. commit -> journaled latency")
        .contains("3. history of one row")
        .contains("4. whole-table rollback")
        .contains("5. journal bytes per event")
        .contains("the stale-journal check before a plan")
        .contains("7. value-by-value backout");
    assertThat(Files.readString(json))
        .contains("\"capture\"")
        .contains("\"rollback\"")
        .contains("\"backout\"")
        .contains("\"freshnessP50Millis\"")
        .contains("\"freshnessAddedP99Millis\"");
  }

  @Test
  void theMariaDbPartsRunAndReport() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        io.rowguard.connectors.LocalMariaDb.binaries().isPresent(),
        "mariadbd is not installed here: apt-get install -y mariadb-server");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Path json = dir.resolve("mariadb.json");
    new MariaDbEndToEnd(
            java.util.Map.of(
                "changes", "4000", "rollback-rows", "2000", "runs", "1", "json", json.toString()),
            new PrintStream(bytes, true, StandardCharsets.UTF_8))
        .run();
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("capture: rowguard")
        .contains("rollback of a 2,000-row table");
    assertThat(Files.readString(json)).contains("\"captureRatio\"").contains("\"rollbackRatio\"");
  }

  @Test
  void theMirrorPartsRunAndReport() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Path json = dir.resolve("mirror.json");
    new MirrorBench(
            MirrorBench.Options.parse(
                new String[] {
                  "--changes",
                  "4000",
                  "--runs",
                  "1",
                  "--latency-seconds",
                  "2",
                  "--rate",
                  "200",
                  "--json",
                  json.toString()
                }),
            new PrintStream(bytes, true, StandardCharsets.UTF_8))
        .run();
    assertThat(bytes.toString(StandardCharsets.UTF_8))
        .contains("1. mirror: publishing 4,000 journaled changes")
        .contains("kafka ProducerPerformance, same sizes")
        .contains("2. commit -> visible to a read_committed consumer")
        .contains("3. capture with the mirror in the same process");
    assertThat(Files.readString(json))
        .contains("\"mirrorToProducerPerformance\"")
        .contains("\"mirrorLatencyP99Ms\"")
        .contains("\"captureWithMirrorToAlone\"");
  }
}
