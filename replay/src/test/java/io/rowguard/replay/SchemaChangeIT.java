package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rollback to a moment before schema changes: a column renamed, narrowed, widened, dropped, and
 * two added (with and without a default). The row and the whole-table plans agree; what can be
 * restored is, into the renamed column too; a value the narrowed column cannot hold unchanged is a
 * conflict named with its cell, never cut or rounded; the dropped column's lost values are counted
 * once; columns added since keep their values, and a row put back gets their defaults; a second run
 * has nothing to write.
 */
@ExtendWith(PostgresExtension.class)
class SchemaChangeIT {
  static PostgresFixture pg;

  @BeforeAll
  static void start(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;
  Journal journal;
  Capture capture;
  RowguardConfig config;

  @AfterEach
  void close() {
    if (capture != null) {
      capture.close();
    }
    if (journal != null) {
      journal.close();
    }
  }

  static final List<String> BEFORE_DDL =
      List.of(
          "(1,k1,r1,abc,1.50,1,g1)",
          "(2,k2,r2,renamed,1.55,2,g2)",
          "(3,k3,r3,xyz,3.00,3,g3)",
          "(4,k4,r4,qq,4.00,4,g4)");

  /** Two tables with one history: one is rolled back row by row, the other whole. */
  long history() throws Exception {
    for (String t : List.of("dr", "dt")) {
      pg.exec(
          "CREATE TABLE "
              + t
              + " (id int PRIMARY KEY, keep text, old_name text, code varchar(10),"
              + " amt numeric(10,2), n int, gone text)",
          "ALTER TABLE " + t + " REPLICA IDENTITY FULL",
          "INSERT INTO "
              + t
              + " VALUES (1, 'k1', 'r1', 'abc', 1.50, 1, 'g1'), (2, 'k2', 'r2', 'renamed', 1.55,"
              + " 2, 'g2'), (3, 'k3', 'r3', 'xyz', 3.00, 3, 'g3'), (4, 'k4', 'r4', 'qq', 4.00, 4,"
              + " 'g4')");
    }
    config = pg.config(dir, "public.dr,public.dt", "ddl");
    journal = Journal.openWriter(config.journalDir());
    capture = Capture.start(config, journal);
    pg.awaitStreaming(config);
    assertThat(ReplayIT.rowsOf(pg, "dr")).isEqualTo(BEFORE_DDL);
    long t = ReplayIT.micros(pg);
    Thread.sleep(5);
    for (String d : List.of("dr", "dt")) {
      pg.exec(
          "UPDATE " + d + " SET old_name = 'bad', code = 'bad', amt = 9.99, n = 0, gone = 'bad'",
          "DELETE FROM " + d + " WHERE id = 4");
    }
    drain();
    for (String d : List.of("dr", "dt")) {
      pg.exec(
          "ALTER TABLE " + d + " RENAME old_name TO new_name",
          "ALTER TABLE " + d + " ALTER code TYPE varchar(5)",
          "ALTER TABLE " + d + " ALTER amt TYPE numeric(10,1)",
          "ALTER TABLE " + d + " ALTER n TYPE bigint",
          "ALTER TABLE " + d + " DROP gone",
          "ALTER TABLE " + d + " ADD added_d text DEFAULT 'dflt'",
          "ALTER TABLE " + d + " ADD added_n text",
          "UPDATE " + d + " SET added_n = 'later', keep = 'k3 later' WHERE id = 3",
          "UPDATE " + d + " SET keep = 'k1 later' WHERE id = 1");
    }
    drain();
    return t;
  }

  void drain() {
    JournalAwait.caughtUp(config, journal);
  }

  ApplyResult apply(RollbackPlan plan, ConflictPolicy policy) throws Exception {
    try (Connection c = pg.connect()) {
      return new PlanApplier(c).apply(plan, policy, "tester", "ddl", PlanApplier.Progress.NONE);
    }
  }

  RollbackPlan rowPlan(long t) {
    List<RowKey> keys =
        IntStream.rangeClosed(1, 4).mapToObj(i -> RowKey.of(List.of("id"), List.of(i))).toList();
    return new Planner(journal, Clock.systemUTC())
        .rollbackRows(TableId.of("public", "dr"), keys, new PointInTime.At(t));
  }

  RollbackPlan tablePlan(long t) {
    return new Planner(journal, Clock.systemUTC())
        .rollbackTable(TableId.of("public", "dt"), new PointInTime.At(t));
  }

  @Test
  void aRollbackAcrossRenamedNarrowedDroppedAndAddedColumnsRestoresWhatItCanAndNamesTheRest()
      throws Exception {
    long t = history();
    List<String> damaged = ReplayIT.rowsOf(pg, "dr");

    // refused: the narrowed column cannot hold two of the earlier values unchanged
    for (RollbackPlan plan : List.of(rowPlan(t), tablePlan(t))) {
      ApplyResult refused = apply(plan, ConflictPolicy.ABORT);
      assertThat(refused.aborted()).isTrue();
      assertThat(refused.conflicts())
          .extracting(ApplyResult.Conflict::reason)
          .singleElement()
          .satisfies(
              r ->
                  assertThat(r)
                      .contains("code: renamed does not fit character varying(5) unchanged")
                      .contains("(it would be written as renam)")
                      .contains("amt: 1.55 does not fit numeric(10,1) unchanged"));
    }
    try (Connection c = pg.connect()) {
      ApplyResult together =
          new PlanApplier(c)
              .rollbackTable(
                  new Planner(journal, Clock.systemUTC()),
                  TableId.of("public", "dt"),
                  new PointInTime.At(t),
                  ConflictPolicy.ABORT,
                  "tester",
                  "ddl",
                  PlanApplier.Progress.NONE)
              .result();
      assertThat(together.aborted()).as("planned and written together").isTrue();
    }
    assertThat(ReplayIT.rowsOf(pg, "dr")).as("nothing written").isEqualTo(damaged);

    ApplyResult byRow = apply(rowPlan(t), ConflictPolicy.SKIP);
    ApplyResult whole = apply(tablePlan(t), ConflictPolicy.SKIP);
    List<String> expected =
        List.of(
            "(1,k1,r1,abc,1.5,1,dflt,)", // the renamed column restored; added ones kept
            "(2,k2,r2,bad,10.0,2,dflt,)", // the two cells that do not fit keep their live values
            "(3,k3,r3,xyz,3.0,3,dflt,later)",
            "(4,k4,r4,qq,4.0,4,dflt,)"); // put back: the added columns' defaults
    assertThat(ReplayIT.rowsOf(pg, "dr")).isEqualTo(expected);
    assertThat(ReplayIT.rowsOf(pg, "dt")).as("the whole-table plan agrees").isEqualTo(expected);
    for (ApplyResult r : List.of(byRow, whole)) {
      assertThat(r.aborted()).isFalse();
      assertThat(r.conflicts()).hasSize(1);
      assertThat(r.warnings())
          .filteredOn(w -> w.contains("gone"))
          .singleElement()
          .satisfies(
              w ->
                  assertThat(w)
                      .contains("was dropped since")
                      .contains("in 4 row(s) cannot be restored"));
    }

    drain();
    for (RollbackPlan again : List.of(rowPlan(t), tablePlan(t))) {
      assertThat(again.changes())
          .as("only the row whose cells cannot be restored is left")
          .singleElement()
          .satisfies(c -> assertThat(c.key().toString()).isEqualTo("2"));
      ApplyResult second = apply(again, ConflictPolicy.SKIP);
      assertThat(second.applied().values()).as("and nothing is written").containsOnly(0);
    }
  }
}
