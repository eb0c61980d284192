package io.rowguard.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transaction that arrives short of the changes its END marker counts (what Debezium's restart
 * bugs do) is caught: an error, a gap of the table, and a new snapshot of it that closes the gap
 * and gives the lost row its state back.
 */
@ExtendWith(PostgresExtension.class)
class ShortTransactionIT {
  @TempDir Path dir;

  @AfterEach
  void nothingLostAnymore() {
    JournalingConsumer.lostForTest = r -> false;
  }

  @Test
  void aChangeLostOnTheWayInIsAGapClosedByANewSnapshot(PostgresFixture pg) throws Exception {
    pg.exec(
        "CREATE TABLE short_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE short_t REPLICA IDENTITY FULL",
        "INSERT INTO short_t SELECT g, 'v' || g FROM generate_series(1, 5) g");
    Map<String, String> props = pg.configProperties(dir, "public.short_t", "short");
    props.remove("source.publication.name");
    RowguardConfig config = RowguardConfig.of(dir.resolve("c.properties"), props, e -> null);
    TableId t = TableId.of("public", "short_t");
    AtomicBoolean lost = new AtomicBoolean();
    JournalingConsumer.lostForTest =
        r -> {
          if (!(r.value() instanceof Struct v) || v.schema().field("after") == null) {
            return false;
          }
          Struct after = v.getStruct("after");
          return after != null && "lost".equals(after.get("v")) && lost.compareAndSet(false, true);
        };
    try (Journal journal = Journal.openWriter(dir.resolve("journal"));
        Capture capture =
            Capture.start(
                config, journal, new Capture.Options(e -> {}, false, Duration.ofMillis(300)))) {
      JournalAwait.entries(journal, 5);
      pg.awaitStreaming(config);
      pg.exec(
          "BEGIN; UPDATE short_t SET v = 'kept' WHERE id = 1;"
              + " UPDATE short_t SET v = 'lost' WHERE id = 2; COMMIT");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      TableSchema schema = null;
      while (System.nanoTime() < deadline) {
        schema = journal.latestSchema(t).orElseThrow();
        List<JournalEntry> two = journal.history(t, RowKey.parse("2", schema));
        if (two.size() >= 2 && journal.openGaps().isEmpty() && !journal.gaps().isEmpty()) {
          break;
        }
        Thread.sleep(100);
      }
      assertThat(lost).as("the change was lost on the way in").isTrue();
      assertThat(journal.gaps())
          .singleElement()
          .satisfies(
              g -> {
                assertThat(g.table()).isEqualTo(t);
                assertThat(g.changesLost()).isTrue();
                assertThat(g.isOpen()).as("closed by the new snapshot").isFalse();
                assertThat(g.reason())
                    .contains("arrived with 1 of the 2 changes of public.short_t");
              });
      List<JournalEntry> two = journal.history(t, RowKey.parse("2", schema));
      ChangeEvent newest = two.get(two.size() - 1).event();
      assertThat(newest.op()).isEqualTo(Op.READ);
      assertThat(newest.after().get("v")).isEqualTo("lost");
      assertThat(capture.failure()).isEmpty();
      List<Gap> open = journal.openGaps();
      assertThat(open).isEmpty();
    }
  }
}
