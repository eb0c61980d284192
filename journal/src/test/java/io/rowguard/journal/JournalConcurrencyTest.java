package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.SCHEMA;
import static io.rowguard.journal.JournalTest.offsets;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeTry;

/**
 * The writer's state is shared by three kinds of thread: capture appending batches (and dropping a
 * transaction the source sends again after a reconnect), retention and gap records chained between
 * transactions, and readers. Whatever the interleaving, the chain verifies and a reader never finds
 * an index entry without its record.
 */
class JournalConcurrencyTest {
  private Path dir;

  @BeforeTry
  void createDir() throws Exception {
    dir = Files.createTempDirectory("rowguard-concurrency-");
  }

  @AfterTry
  void deleteDir() throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Property(tries = 6)
  void aDroppedTailNeverBreaksTheChainOfARecordWrittenBesideIt(@ForAll long seed) throws Exception {
    Random random = new Random(seed);
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService others = Executors.newFixedThreadPool(2);
    try (Journal journal = Journal.openWriter(dir)) {
      Future<Integer> gaps =
          others.submit(
              () -> {
                int written = 0;
                Random r = new Random(seed + 1);
                while (!done.get()) {
                  journal.recordGap(new Gap(0, 1, 2, "0/1", "0/2", "test " + written++), 10_000);
                  if (r.nextInt(4) == 0) {
                    Thread.onSpinWait();
                  }
                }
                return written;
              });
      Future<Long> reads =
          others.submit(
              () -> {
                long visited = 0;
                while (!done.get()) {
                  long[] n = {0};
                  journal.forEachOfTable(ORDERS, 0, Long.MAX_VALUE, false, 0, e -> ++n[0] > 0);
                  journal.forEachStoredOfTable(ORDERS, 0, 64, stored -> true);
                  visited += n[0];
                }
                return visited;
              });
      int id = 0;
      for (int t = 0; t < 400; t++) {
        String tx = Integer.toString(1000 + t);
        boolean reconnect = random.nextInt(3) == 0;
        try (Journal.Batch b = journal.newBatch()) {
          int n = 1 + random.nextInt(4);
          for (int i = 0; i < n; i++) {
            b.append(insert(++id, tx, i, t));
          }
          if (!reconnect) {
            b.markCommitted();
            b.putOffsets(offsets("o" + t));
          }
          b.commit();
        }
        if (reconnect) {
          // the source lost its connection mid-transaction and sends it again from its start
          journal.discardIncomplete();
        }
      }
      done.set(true);
      assertThat(gaps.get(60, TimeUnit.SECONDS)).as("seed %d", seed).isPositive();
      assertThat(reads.get(60, TimeUnit.SECONDS)).as("seed %d", seed).isNotNegative();
    } finally {
      done.set(true);
      others.shutdownNow();
    }
    VerifyReport report = JournalIntegrityTest.verify(dir);
    assertThat(report.ok()).as("seed %d: %s", seed, report).isTrue();
  }

  private static ChangeEvent insert(int id, String tx, int order, int t) {
    return new ChangeEvent(
        SCHEMA,
        Op.INSERT,
        null,
        Row.of(SCHEMA, id, "paid", "note " + id),
        1_000_000L * (t + 1),
        tx,
        "0/" + id,
        order);
  }
}
