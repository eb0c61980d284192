package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a plan does not list but applying it meets: rows it found at their target already, checked
 * against the live database like every other row (a write the journal had not seen is a conflict,
 * not "already done"); and rows of other tables that a foreign key's ON DELETE action removes with
 * the rows the plan deletes, shown before anything is written.
 */
@ExtendWith(PostgresExtension.class)
class BeyondThePlanIT {
  static PostgresFixture pg;

  @BeforeAll
  static void start(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  ApplyResult apply(RollbackPlan plan, ConflictPolicy policy) throws Exception {
    try (Connection c = pg.connect()) {
      return new PlanApplier(c).apply(plan, policy, "tester", "settled", PlanApplier.Progress.NONE);
    }
  }

  @Test
  void aRowAtItsTargetWhenPlannedIsCheckedAgainWhenApplied() throws Exception {
    pg.exec(
        "CREATE TABLE st (id int PRIMARY KEY, v text)",
        "ALTER TABLE st REPLICA IDENTITY FULL",
        "INSERT INTO st VALUES (1, 'good'), (2, 'good')");
    RowguardConfig config = pg.config(dir, "public.st", "settled");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      long t;
      try (Capture capture = Capture.start(config, journal)) {
        pg.awaitStreaming(config);
        t = ReplayIT.micros(pg);
        Thread.sleep(5);
        // row 1 goes bad; row 2 goes bad and comes back: at its target already
        pg.exec("UPDATE st SET v = 'bad'", "UPDATE st SET v = 'good' WHERE id = 2");
        io.rowguard.connectors.JournalAwait.entries(journal, 5);
      }
      // capture stopped (lagging): a writer moves row 2 after the plan is made
      List<RowKey> keys =
          List.of(RowKey.of(List.of("id"), List.of(1)), RowKey.of(List.of("id"), List.of(2)));
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .rollbackRows(TableId.of("public", "st"), keys, new PointInTime.At(t));
      assertThat(plan.changes()).hasSize(1);
      assertThat(plan.unchanged()).isEqualTo(1);
      assertThat(plan.settled()).hasSize(1);
      pg.exec("UPDATE st SET v = 'moved on' WHERE id = 2");

      ApplyResult refused = apply(plan, ConflictPolicy.ABORT);
      assertThat(refused.aborted()).isTrue();
      assertThat(refused.conflicts())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.key().toString()).isEqualTo("2");
                assertThat(c.reason())
                    .startsWith("was at its target state when planned")
                    .contains("v");
              });
      assertThat(ReplayIT.rowsOf(pg, "st")).containsExactly("(1,bad)", "(2,\"moved on\")");

      ApplyResult skipped = apply(plan, ConflictPolicy.SKIP);
      assertThat(skipped.conflicts()).hasSize(1);
      assertThat(ReplayIT.rowsOf(pg, "st")).containsExactly("(1,good)", "(2,\"moved on\")");

      // a plan with nothing to write still says the row moved
      RollbackPlan nothing =
          new Planner(journal, Clock.systemUTC())
              .rollbackRows(TableId.of("public", "st"), keys.subList(1, 2), new PointInTime.At(t));
      assertThat(nothing.changes()).isEmpty();
      assertThat(apply(nothing, ConflictPolicy.ABORT).aborted()).isTrue();
      ApplyResult overwritten = apply(nothing, ConflictPolicy.OVERWRITE);
      assertThat(overwritten.aborted()).isFalse();
      assertThat(ReplayIT.rowsOf(pg, "st")).containsExactly("(1,good)", "(2,good)");
    }
  }

  @Test
  void rowsAForeignKeyActionRemovesWithThePlansRowsAreNamedInThePlan() throws Exception {
    pg.exec(
        "CREATE TABLE cp (id int PRIMARY KEY)",
        "CREATE TABLE cc (id int PRIMARY KEY, parent int REFERENCES cp ON DELETE CASCADE)",
        "CREATE TABLE cn (id int PRIMARY KEY, parent int REFERENCES cp ON DELETE SET NULL)",
        "ALTER TABLE cp REPLICA IDENTITY FULL",
        "ALTER TABLE cc REPLICA IDENTITY FULL",
        "INSERT INTO cp VALUES (1)");
    RowguardConfig config = pg.config(dir, "public.cp,public.cc", "cascades");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      String loader = ReplayIT.txOf(pg, "INSERT INTO cp VALUES (2)");
      // later work refers to the row the loader inserted
      pg.exec("INSERT INTO cc VALUES (20, 2), (21, 2), (10, 1)", "INSERT INTO cn VALUES (30, 2)");
      io.rowguard.connectors.JournalAwait.entries(journal, 5);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .backout(List.of(loader), Granularity.CELL, ConflictPolicy.ABORT, false);
      assertThat(plan.changes()).hasSize(1);
      List<String> effects;
      try (Connection c = pg.connect()) {
        effects = Cascades.describe(c, plan);
      }
      assertThat(effects)
          .containsExactlyInAnyOrder(
              "foreign key cc_parent_fkey deletes 2 row(s) of public.cc that the plan does not"
                  + " list, because it removes the rows of public.cp they refer to (keys (20);"
                  + " (21))",
              "foreign key cn_parent_fkey sets parent to NULL in 1 row(s) of public.cn that the"
                  + " plan does not list, because it removes the rows of public.cp they refer to"
                  + " (keys (30))");
    }
  }

  /**
   * Two tables that refer to each other: the loader's rows form a cycle no statement order can take
   * apart while the constraints are checked at once. The error names the constraint and the way
   * out; made deferrable, the same backout goes through in one transaction.
   */
  @Test
  void aForeignKeyCycleIsNamedWithItsWayOutAndGoesThroughOnceDeferrable() throws Exception {
    pg.exec(
        "CREATE TABLE ca (id int PRIMARY KEY, b int)",
        "CREATE TABLE cb (id int PRIMARY KEY, a int REFERENCES ca)",
        "ALTER TABLE ca ADD CONSTRAINT ca_b_fkey FOREIGN KEY (b) REFERENCES cb",
        "ALTER TABLE ca REPLICA IDENTITY FULL",
        "ALTER TABLE cb REPLICA IDENTITY FULL");
    RowguardConfig config = pg.config(dir, "public.ca,public.cb", "cycle");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      // a cycle: the second transaction points the first one's row at its own
      List<String> txs =
          List.of(
              ReplayIT.txOf(pg, "INSERT INTO ca VALUES (1, NULL)"),
              ReplayIT.txOf(pg, "INSERT INTO cb VALUES (1, 1); UPDATE ca SET b = 1 WHERE id = 1"));
      io.rowguard.connectors.JournalAwait.entries(journal, 3);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .backout(txs, Granularity.CELL, ConflictPolicy.ABORT, false);
      assertThat(plan.changes()).hasSize(2);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> apply(plan, ConflictPolicy.ABORT))
          .isInstanceOf(ReplayException.class)
          .hasMessageContaining("blocks the plan")
          .hasMessageContaining("nothing was written")
          .hasMessageContaining("DEFERRABLE");
      assertThat(ReplayIT.rowsOf(pg, "ca")).containsExactly("(1,1)");

      pg.exec(
          "ALTER TABLE ca ALTER CONSTRAINT ca_b_fkey DEFERRABLE",
          "ALTER TABLE cb ALTER CONSTRAINT cb_a_fkey DEFERRABLE");
      ApplyResult r = apply(plan, ConflictPolicy.ABORT);
      assertThat(r.aborted()).isFalse();
      assertThat(ReplayIT.rowsOf(pg, "ca")).isEmpty();
      assertThat(ReplayIT.rowsOf(pg, "cb")).isEmpty();
    }
  }
}
