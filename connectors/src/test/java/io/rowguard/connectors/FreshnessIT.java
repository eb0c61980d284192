package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A plan is made only from a journal that holds everything the database committed before it. */
@ExtendWith(PostgresExtension.class)
class FreshnessIT {
  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  @Test
  void aJournalIsFreshWhileCaptureKeepsUpAndStaleOnceItStops() throws Exception {
    pg.exec(
        "CREATE TABLE fresh_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE fresh_t REPLICA IDENTITY FULL",
        "CREATE TABLE other_t (id int PRIMARY KEY)");
    RowguardConfig config = pg.config(dir, "public.fresh_t", "fresh");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      // idle captured tables, other tables written: the mark still comes through at once
      pg.exec("INSERT INTO other_t SELECT generate_series(1, 1000)");
      try (Journal reader = Journal.openReader(config.journalDir())) {
        Freshness f = Freshness.await(config, reader, Duration.ofSeconds(20), line -> {});
        assertThat(f.fresh()).as(f.toString()).isTrue();
        assertThat(f.behind()).isZero();
      }
    }
    pg.exec("INSERT INTO fresh_t VALUES (1, 'not journaled yet')");
    List<String> progress = new ArrayList<>();
    try (Journal reader = Journal.openReader(config.journalDir())) {
      Freshness f = Freshness.await(config, reader, Duration.ofMillis(1_500), progress::add);
      assertThat(f.fresh()).isFalse();
      assertThat(f.behind()).isPositive();
      assertThat(f.journaled()).isNotEmpty();
      assertThat(progress).anyMatch(line -> line.contains("bytes of WAL behind"));
    }
  }
}
