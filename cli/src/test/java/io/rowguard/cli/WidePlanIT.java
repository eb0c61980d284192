package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole-table rollback whose plan is far larger than the heap: 20,000 rows of 30 columns, each
 * with about 5 KB of TOASTed text, rolled back (dry run and apply) by `rowguard` in a JVM of its
 * own with a 160 MB heap. Held as images the plan takes some 200 MB; spilled, its rows are read
 * back from the journal as they are shown and staged. The case is ten times this in 512 MB:
 * {@code -Drowguard.wide.rows=200000 -Drowguard.wide.heap=512m}.
 */
@ExtendWith(PostgresExtension.class)
class WidePlanIT {
  static final int ROWS = Integer.getInteger("rowguard.wide.rows", 20_000);
  static final String HEAP = System.getProperty("rowguard.wide.heap", "160m");
  static final java.time.Duration WAIT = java.time.Duration.ofMinutes(Math.max(1, ROWS / 20_000));
  static PostgresFixture pg;

  @BeforeAll
  static void start(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  record Run(int exit, String out) {}

  /** `rowguard ARGS` in a fresh JVM with a small heap. */
  static Run rowguard(Path log, String... args) throws Exception {
    Process p = Cli.start("-Xmx" + HEAP, log, List.of(args));
    assertThat(p.waitFor(5L * Math.max(1, ROWS / 20_000), TimeUnit.MINUTES))
        .as("rowguard %s finished", args[0])
        .isTrue();
    return new Run(p.exitValue(), Files.readString(log));
  }

  static String checksum() throws Exception {
    return one("SELECT md5(string_agg(md5(w::text), '' ORDER BY id)) FROM wide w");
  }

  static String one(String sql) throws Exception {
    try (var c = pg.connect();
        var s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void aWholeTableOfWideRowsRollsBackInAHeapSmallerThanItsPlan() throws Exception {
    String columns =
        IntStream.rangeClosed(1, 28)
            .mapToObj(i -> "c" + i + " text")
            .collect(Collectors.joining(", "));
    String values =
        IntStream.rangeClosed(1, 28)
            .mapToObj(i -> "'v" + i + "-' || g")
            .collect(Collectors.joining(", "));
    pg.exec(
        "CREATE TABLE wide (id int PRIMARY KEY, " + columns + ", big text)",
        "ALTER TABLE wide REPLICA IDENTITY FULL",
        "INSERT INTO wide SELECT g, "
            + values
            + ", (SELECT string_agg(md5(g::text || '/' || x), '') FROM generate_series(1, 160) x)"
            + " FROM generate_series(1, "
            + ROWS
            + ") g");
    Path file =
        Cli.writeConfig(
            dir.resolve("wide.properties"),
            pg.configProperties(dir.resolve("journal"), "public.wide", "wide"));
    RowguardConfig config = RowguardConfig.load(file);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      JournalAwait.entries(journal, ROWS, WAIT);
      String good = checksum();
      String t =
          one(
              "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                  + " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
      Thread.sleep(10);
      pg.exec("UPDATE wide SET c1 = 'bad', big = 'overwritten'");
      JournalAwait.entries(journal, 2L * ROWS, WAIT);

      Run dry =
          rowguard(
              dir.resolve("dry.log"),
              "rollback",
              "-c",
              file.toString(),
              "--table",
              "wide",
              "--to",
              t);
      assertThat(dry.exit()).as(dry.out()).isZero();
      assertThat(dry.out()).contains(ROWS + " row(s) to update").doesNotContain("OutOfMemory");

      Run applied =
          rowguard(
              dir.resolve("apply.log"),
              "rollback",
              "-c",
              file.toString(),
              "--table",
              "wide",
              "--to",
              t,
              "--apply");
      assertThat(applied.exit()).as(applied.out()).isZero();
      assertThat(checksum()).isEqualTo(good);
    }
  }
}
