package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole-table plan from a journal alone: its reading and reducing stages run on two threads, in
 * batches, so rows whose changes fall in different batches must still come out whole.
 */
class PlannerTest {
  static final TableSchema T =
      new TableSchema(
          TableId.of("public", "t"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT64)),
              new Column("v", ValueSchema.of(ValueType.STRING)),
              new Column("w", ValueSchema.of(ValueType.STRING))),
          List.of("id"));

  static final long T0 = 1_790_000_000_000_000L;
  static final int ROWS = 3_000;

  @TempDir Path dir;

  /** Pass p commits at T0 + p seconds: rows 1..ROWS updated v from "p-1" to "p" (w untouched). */
  static void fill(Journal j) {
    long tx = 100;
    for (int pass = 1; pass <= 3; pass++) {
      try (Journal.Batch b = j.newBatch()) {
        int order = 0;
        for (long id = 1; id <= ROWS; id++) {
          if (pass == 2 && id % 3 != 0) {
            continue; // pass 2 touches a third of the rows: their changes interleave across batches
          }
          String from = pass == 3 && id % 3 != 0 ? "1" : Integer.toString(pass - 1);
          String to = pass == 3 && id == 7 ? "0" : Integer.toString(pass); // row 7 goes back
          b.append(
              new ChangeEvent(
                  T,
                  Op.UPDATE,
                  Row.of(T, id, from, "w" + id),
                  Row.of(T, id, to, "w" + id),
                  T0 + pass * 1_000_000L,
                  Long.toString(tx),
                  "0/" + tx + "/" + id,
                  order++));
        }
        if (pass == 3) { // and one row inserted since
          b.append(
              new ChangeEvent(
                  T,
                  Op.INSERT,
                  null,
                  Row.of(T, ROWS + 1L, "new", "w"),
                  T0 + pass * 1_000_000L,
                  Long.toString(tx),
                  "0/" + tx + "/new",
                  order));
        }
        commit(b, tx);
      }
      tx++;
    }
  }

  Planner planner(Journal j) {
    return new Planner(j, Clock.fixed(Instant.ofEpochSecond(2_000_000_000L), ZoneOffset.UTC));
  }

  @Test
  void aPlanThatNeedsAValueTheJournalDoesNotKnowIsRefusedNamingTheRow() {
    RowKey one = RowKey.of(List.of("id"), List.of(1L));
    RowKey two = RowKey.of(List.of("id"), List.of(2L));
    try (Journal j = Journal.openWriter(dir)) {
      try (Journal.Batch b = j.newBatch()) {
        b.append(new ChangeEvent(T, Op.INSERT, null, Row.of(T, 1L, "a", "w1"), T0, "99", "0/1", 0));
        commit(b, 99);
      }
      try (Journal.Batch b = j.newBatch()) {
        // the log left w out of row 2's old image, and the journal had no version of the row
        b.append(
            new ChangeEvent(
                T,
                Op.UPDATE,
                Row.of(T, 2L, "old", Row.UNAVAILABLE),
                Row.of(T, 2L, "new", "w2"),
                T0 + 1_000_000,
                "100",
                "0/2",
                0));
        b.append(
            new ChangeEvent(
                T,
                Op.UPDATE,
                Row.of(T, 1L, "a", "w1"),
                Row.of(T, 1L, "b", "w1"),
                T0 + 1_000_000,
                "100",
                "0/3",
                1));
        commit(b, 100);
      }
      PointInTime between = new PointInTime.At(T0 + 500_000);
      for (Runnable refused :
          List.<Runnable>of(
              () -> planner(j).rollbackRows(T.table(), List.of(two), between),
              () -> planner(j).rollbackTable(T.table(), between),
              () -> planner(j).backout("100", false))) {
        assertThatThrownBy(refused::run)
            .isInstanceOf(io.rowguard.core.InputException.class)
            .hasMessageContaining("public.t key 2 (w at the target moment)")
            .hasMessageContaining("REPLICA IDENTITY FULL");
      }
      // the row planner, like the table planner, takes a row's state before its first change
      RollbackPlan fine = planner(j).rollbackRows(T.table(), List.of(one), between);
      assertThat(fine.changes())
          .singleElement()
          .satisfies(c -> assertThat(c.target().get("v")).isEqualTo("a"));
    }
  }

  @Test
  void everyRowComesOutWholeFromItsFirstAndLastChange() {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j);
      // back to just after pass 1: every row had v = "1"
      RollbackPlan plan = planner(j).rollbackTable(T.table(), new PointInTime.At(T0 + 1_500_000));
      assertThat(plan.unchanged()).as("row 3 is a pass-2 row; row 7 went back").isZero();
      Map<RowKey, RowChange> byKey =
          plan.changes().stream().collect(Collectors.toMap(RowChange::key, c -> c));
      assertThat(byKey).hasSize(ROWS + 1);
      RowChange inserted = byKey.get(RowKey.of(List.of("id"), List.of(ROWS + 1L)));
      assertThat(inserted.action()).isEqualTo(Action.DELETE);
      for (long id = 1; id <= ROWS; id++) {
        RowChange c = byKey.get(RowKey.of(List.of("id"), List.of(id)));
        if (id == 7) {
          assertThat(c).as("row 7: '1' -> '0' since, so back to '1'").isNotNull();
        }
        assertThat(c.target().get("v")).isEqualTo("1");
        assertThat(c.target().get("w")).isEqualTo("w" + id);
        assertThat(c.current().get("v")).isEqualTo(id == 7 ? "0" : "3");
        assertThat(c.changedColumns()).containsExactly("v");
        assertThat(c.currentTx()).isEqualTo("102");
      }
      assertThat(plan.changes().get(0).key())
          .as("journal order: the first row changed since the point first")
          .isEqualTo(RowKey.of(List.of("id"), List.of(3L)));

      // back to just after pass 2: rows 1 and 2 of each three were last "1" then, row 3 "2"
      RollbackPlan later = planner(j).rollbackTable(T.table(), new PointInTime.At(T0 + 2_500_000));
      assertThat(later.changes()).hasSize(ROWS + 1);
      assertThat(later.changes().stream().filter(c -> c.key().equals(key(3))).findFirst())
          .get()
          .satisfies(c -> assertThat(c.target().get("v")).isEqualTo("2"));
    }
  }

  /**
   * What a caller staging rows while the planner reads ends up with: each row given when first met,
   * replaced or withdrawn by its revision, composes to exactly the plan. Here rows change again
   * later (pass 2 rows in pass 3, in other batches), one goes back to where it was (withdrawn), and
   * one is unchanged when first met and changed later (given at the end).
   */
  @Test
  void rowsGivenEarlyAndTheirRevisionsComposeToThePlan() {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j);
      long extra = ROWS + 2L;
      appendOne(j, 200, T0 + 4_000_000, Row.of(T, extra, "x", "w"), Row.of(T, extra, "x", "w"));
      appendOne(j, 201, T0 + 5_000_000, Row.of(T, extra, "x", "w"), Row.of(T, extra, "y", "w"));
      long back = ROWS + 3L;
      appendOne(j, 202, T0 + 6_000_000, Row.of(T, back, "a", "w"), Row.of(T, back, "b", "w"));
      appendOne(j, 203, T0 + 7_000_000, Row.of(T, back, "b", "w"), Row.of(T, back, "a", "w"));
      Map<Integer, RowChange> staged = new java.util.HashMap<>();
      List<Integer> withdrawn = new java.util.ArrayList<>();
      Planner.EarlyRows early =
          new Planner.EarlyRows() {
            @Override
            public void row(int id, RowChange change) {
              assertThat(staged.put(id, change)).as("ids are not reused").isNull();
            }

            @Override
            public void revised(int id, RowChange change) {
              assertThat(staged).as("only rows given earlier are revised").containsKey(id);
              if (change == null) {
                staged.remove(id);
                withdrawn.add(id);
              } else {
                staged.put(id, change);
              }
            }
          };
      PointInTime point = new PointInTime.At(T0 + 1_000_000); // pass 1 and before

      RollbackPlan plan = planner(j).rollbackTable(T.table(), point, early);

      assertThat(staged.values()).containsExactlyInAnyOrderElementsOf(plan.changes());
      assertThat(withdrawn).as("one row went back to where it was").hasSize(1);
      assertThat(plan.changes()).noneSatisfy(c -> assertThat(c.key()).isEqualTo(key(back)));
      assertThat(plan.changes()).anySatisfy(c -> assertThat(c.key()).isEqualTo(key(extra)));
      assertThat(plan.changes())
          .as("the same plan as without a caller staging")
          .containsExactlyElementsOf(planner(j).rollbackTable(T.table(), point).changes());
    }
  }

  static void appendOne(Journal j, long tx, long micros, Row before, Row after) {
    try (Journal.Batch b = j.newBatch()) {
      b.append(
          new ChangeEvent(
              T, Op.UPDATE, before, after, micros, Long.toString(tx), "0/" + tx + "/1", 0));
      commit(b, tx);
    }
  }

  /** Commits a batch as transaction {@code tx}, with a source offset naming it. */
  static void commit(Journal.Batch b, long tx) {
    b.markCommitted();
    b.putOffsets(
        Map.of(
            ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)),
            ByteBuffer.wrap(Long.toString(tx).getBytes(StandardCharsets.UTF_8))));
    b.commit();
  }

  static RowKey key(long id) {
    return RowKey.of(List.of("id"), List.of(id));
  }

  /** A failure while reading the journal ends the plan with that error; nothing waits forever. */
  @Test
  void aCorruptEntryMetWhilePlanningIsReportedNotWaitedOn() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j);
      j.compact();
    }
    Path sst;
    try (Stream<Path> files = Files.list(dir)) {
      sst =
          files
              .filter(p -> p.getFileName().toString().endsWith(".sst"))
              .max(Comparator.comparingLong(p -> p.toFile().length()))
              .orElseThrow();
    }
    try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "rw")) {
      long at = f.length() * 2 / 3; // inside a data block of the newer changes
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
    assertTimeoutPreemptively(
        Duration.ofSeconds(30),
        () -> {
          try (Journal r = Journal.openReader(dir)) {
            assertThatThrownBy(
                    () -> planner(r).rollbackTable(T.table(), new PointInTime.At(T0 + 1_500_000)))
                .isInstanceOf(JournalException.class)
                .hasMessageContaining(sst.getFileName().toString());
          } catch (JournalException openFailed) {
            assertThat(openFailed).hasMessageContaining(sst.getFileName().toString());
          }
        });
  }
}
