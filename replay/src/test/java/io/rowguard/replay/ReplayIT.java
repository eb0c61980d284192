package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Freshness;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.InputException;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.PruneResult;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Rollback, backout and export against a real PostgreSQL, compared in its own text form. */
@ExtendWith(PostgresExtension.class)
class ReplayIT {
  static PostgresFixture pg;
  static int n;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;
  Journal journal;
  Capture capture;
  RowguardConfig config;

  /** Starts capture of the given tables (public schema), once their rows are in place. */
  void capture(String... tables) throws Exception {
    String name = "replay" + n++;
    List<String> include = new ArrayList<>();
    for (String t : tables) {
      include.add("public." + t);
    }
    config = pg.config(dir, String.join(",", include), name);
    journal = Journal.openWriter(config.journalDir());
    capture = Capture.start(config, journal);
    pg.awaitStreaming(config);
  }

  @AfterEach
  void stop() {
    if (capture != null) {
      capture.close();
    }
    if (journal != null) {
      journal.close();
    }
  }

  /** Waits until everything committed so far is journaled. */
  Freshness drain() {
    return JournalAwait.caughtUp(config, journal);
  }

  static List<String> query(String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The first column of each row a query returns, on {@code db}. */
  static List<String> rowsOfQuery(String sql, PostgresFixture db) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  static List<String> rows(String table) throws Exception {
    return rowsOf(pg, table);
  }

  /** Every row in PostgreSQL's own text form, sorted. */
  static List<String> rowsOf(PostgresFixture db, String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT ROW(t.*)::text FROM " + table + " t ORDER BY 1")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** The server's clock, in microseconds. */
  static long micros(PostgresFixture db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  long nowMicros() throws Exception {
    return Long.parseLong(
        query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint").get(0));
  }

  Planner planner() {
    return new Planner(journal, Clock.systemUTC());
  }

  ApplyResult apply(RollbackPlan plan, ConflictPolicy policy) throws Exception {
    try (Connection c = pg.connect()) {
      return new PlanApplier(c).apply(plan, policy, "tester", "test", PlanApplier.Progress.NONE);
    }
  }

  /** What the journal holds of {@code table}, one line per change, for a failure's message. */
  String journalOf(TableId table) {
    List<String> out = new ArrayList<>();
    journal.scan(
        1,
        e -> {
          if (e.event().table().equals(table)) {
            out.add(
                e.seq()
                    + " "
                    + e.event().op()
                    + " "
                    + e.event().key()
                    + " tx "
                    + e.event().txId()
                    + " at "
                    + e.event().position());
          }
          return true;
        });
    return String.join("\n", out) + "\noffsets " + journal.offsets().size();
  }

  static RowKey key(Object... idValue) {
    return RowKey.of(List.of("id"), List.of(idValue));
  }

  /**
   * A TRUNCATE is journaled as the removal of every row the journal knew: a rollback to before it
   * puts them back, and the row planner and the table planner agree on every row.
   */
  @Test
  void aRollbackAcrossATruncatePutsBackTheRowsItRemoved() throws Exception {
    pg.exec(
        "CREATE TABLE tr (id int PRIMARY KEY, v text)",
        "ALTER TABLE tr REPLICA IDENTITY FULL",
        "INSERT INTO tr SELECT g, 'v' || g FROM generate_series(1, 20) g");
    capture("tr");
    pg.exec("UPDATE tr SET v = 'before' WHERE id <= 5");
    drain();
    Thread.sleep(5);
    long target = nowMicros();
    List<String> atTarget = rows("tr");
    Thread.sleep(5);
    pg.exec("TRUNCATE tr", "INSERT INTO tr VALUES (1, 'after the truncate'), (100, 'new')");
    Freshness fresh = drain();
    TableId t = TableId.of("public", "tr");
    assertThat(journal.history(t, key(100)))
        .as("key 100 after %s; the journal of tr holds %s", fresh, journalOf(t))
        .isNotEmpty();
    List<RowKey> keys = List.of(key(3), key(1), key(100));
    RollbackPlan rowPlan = planner().rollbackRows(t, keys, new PointInTime.At(target));
    RollbackPlan tablePlan = planner().rollbackTable(t, new PointInTime.At(target));
    assertThat(tablePlan.changes()).hasSize(21); // 19 to insert again, 1 to update, 1 to delete
    for (RowChange byRow : rowPlan.changes()) {
      RowChange byTable =
          tablePlan.changes().stream().filter(c -> c.key().equals(byRow.key())).findFirst().get();
      assertThat(byTable.action()).as("key %s", byRow.key()).isEqualTo(byRow.action());
      assertThat(byTable.target()).as("key %s", byRow.key()).isEqualTo(byRow.target());
    }
    ApplyResult r = apply(tablePlan, ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(rows("tr")).isEqualTo(atTarget);
  }

  /**
   * Retention prunes what came before the cut while capture runs, yet every moment from the cut on
   * rolls back exactly: rows, whole table, and the chain still verifies.
   */
  @Test
  void retentionKeepsRollbacksInsideTheWindowExact() throws Exception {
    pg.exec(
        "CREATE TABLE ret (id int PRIMARY KEY, v text, n int)",
        "ALTER TABLE ret REPLICA IDENTITY FULL",
        "INSERT INTO ret SELECT g, 'seed', 0 FROM generate_series(1, 60) g");
    capture("ret");
    for (int round = 1; round <= 5; round++) { // old history, pruned below
      pg.exec(
          "UPDATE ret SET v = 'old" + round + "', n = n + 1 WHERE id % 5 = " + (round % 5),
          "DELETE FROM ret WHERE id = " + (40 + round),
          "INSERT INTO ret VALUES (" + (100 + round) + ", 'new', 0)");
    }
    drain();
    Thread.sleep(5);
    long cut = nowMicros();
    Thread.sleep(5);
    pg.exec(
        "UPDATE ret SET v = 'window', n = n + 10 WHERE id <= 20", "DELETE FROM ret WHERE id = 60");
    drain();
    Thread.sleep(5);
    long target = nowMicros();
    List<String> atTarget = rows("ret");
    Thread.sleep(5);
    pg.exec(
        "UPDATE ret SET v = 'BROKEN', n = -1",
        "DELETE FROM ret WHERE id > 100",
        "INSERT INTO ret VALUES (999, 'junk', 0)");
    drain();

    PruneResult pruned = journal.prune(cut, Clock.systemUTC(), Journal.Progress.NONE);
    assertThat(pruned.removedChanges()).isGreaterThan(0);
    assertThat(pruned.keptBases()).isGreaterThan(0);
    assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
    assertThatThrownBy(
            () ->
                planner()
                    .rollbackTable(TableId.of("public", "ret"), new PointInTime.At(cut - 1000)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("before the journal's retention cut");

    RollbackPlan rows =
        planner()
            .rollbackRows(
                TableId.of("public", "ret"), List.of(key(3), key(105)), new PointInTime.At(target));
    assertThat(rows.changes()).hasSize(2);
    RollbackPlan table =
        planner().rollbackTable(TableId.of("public", "ret"), new PointInTime.At(target));
    ApplyResult r = apply(table, ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(rows("ret")).isEqualTo(atTarget);
    drain();
    assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
  }

  /**
   * Invariant 4 under load: writers keep updating the rows a rollback is putting back. Whatever the
   * interleaving, a rollback only ever overwrites the state it planned against (never a write it
   * did not know of), and every row that moved on meanwhile is reported as a conflict.
   */
  @Test
  void rollbacksUnderConcurrentWritersLoseNoUpdateAndReportEveryConflict() throws Exception {
    pg.exec(
        "CREATE TABLE cw (id int PRIMARY KEY, counter int NOT NULL, v text)",
        "ALTER TABLE cw REPLICA IDENTITY FULL",
        "INSERT INTO cw SELECT g, 0, 'ok' FROM generate_series(1, 60) g");
    capture("cw");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec("UPDATE cw SET v = 'BAD', counter = counter + 100");
    drain();
    java.util.concurrent.atomic.AtomicBoolean stop =
        new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicLong increments =
        new java.util.concurrent.atomic.AtomicLong();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      java.util.Random random = new java.util.Random(w);
      Thread writer =
          new Thread(
              () -> {
                try (Connection c = pg.connect();
                    Statement s = c.createStatement()) {
                  while (!stop.get()) {
                    increments.addAndGet(
                        s.executeUpdate(
                            "UPDATE cw SET counter = counter + 1 WHERE id = "
                                + (1 + random.nextInt(60))));
                  }
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      writers.add(writer);
      writer.start();
    }
    List<Object[]> applied = new ArrayList<>(); // plan, result
    int conflicts = 0;
    for (int round = 0; round < 8; round++) {
      RollbackPlan plan =
          planner().rollbackTable(TableId.of("public", "cw"), new PointInTime.At(t));
      ApplyResult r = apply(plan, round % 2 == 0 ? ConflictPolicy.SKIP : ConflictPolicy.ABORT);
      conflicts += r.conflicts().size();
      if (r.aborted()) {
        assertThat(r.txId()).as("an aborted rollback writes nothing").isEmpty();
      } else {
        applied.add(new Object[] {plan, r});
      }
      Thread.sleep(100);
    }
    stop.set(true);
    for (Thread w : writers) {
      w.join();
    }
    drain();
    assertThat(increments.get()).isGreaterThan(100);
    assertThat(conflicts).as("writers raced the rollbacks").isPositive();
    assertThat(applied).as("some rollbacks went through").isNotEmpty();
    for (Object[] a : applied) {
      RollbackPlan plan = (RollbackPlan) a[0];
      ApplyResult r = (ApplyResult) a[1];
      java.util.Map<RowKey, io.rowguard.core.Row> planned = new java.util.HashMap<>();
      plan.changes().forEach(c -> planned.put(c.key(), c.current()));
      java.util.Set<RowKey> conflicting = new java.util.HashSet<>();
      r.conflicts().forEach(c -> conflicting.add(c.key()));
      List<JournalEntry> written = journal.transaction(r.txId());
      assertThat(written).hasSize(plan.changes().size() - conflicting.size());
      for (JournalEntry e : written) {
        RowKey k = e.event().key();
        assertThat(conflicting).doesNotContain(k);
        io.rowguard.core.Row expected = planned.get(k);
        io.rowguard.core.Row before = e.event().before();
        for (int i = 0; i < before.size(); i++) {
          assertThat(io.rowguard.core.Values.equal(before.get(i), expected.get(i)))
              .as("rollback %s overwrote a write it did not plan for, row %s", r.txId(), k)
              .isTrue();
        }
      }
      for (RowKey k : conflicting) {
        // a conflict is a row some writer changed after the version the plan knew
        List<JournalEntry> h = journal.history(TableId.of("public", "cw"), k);
        long rollbackSeq = written.isEmpty() ? Long.MAX_VALUE : written.get(0).seq();
        long knownAt = -1;
        for (JournalEntry v : h) {
          if (v.seq() < rollbackSeq && v.event().after().equals(planned.get(k))) {
            knownAt = v.seq();
          }
        }
        long finalKnownAt = knownAt;
        assertThat(h)
            .as("conflict on row %s in rollback %s", k, r.txId())
            .anyMatch(v -> v.seq() > finalKnownAt);
      }
    }
    // and the journal agrees with the table, row by row
    for (String row : rows("cw")) {
      int id = Integer.parseInt(row.substring(1, row.indexOf(',')));
      List<JournalEntry> h = journal.history(TableId.of("public", "cw"), key(id));
      assertThat(h.get(h.size() - 1).event().after().get("counter").toString())
          .isEqualTo(row.split(",")[1]);
    }
  }

  @Test
  void aWholeTableGoesBackExactlyAndUntouchedRowsAreNotWritten() throws Exception {
    pg.exec(
        "CREATE TABLE r1 (id int PRIMARY KEY, status text, amount numeric(10,2))",
        "ALTER TABLE r1 REPLICA IDENTITY FULL",
        "INSERT INTO r1 SELECT g, 'ok', g * 1.5 FROM generate_series(1, 200) g");
    capture("r1");
    pg.exec("UPDATE r1 SET status = 'paid' WHERE id % 10 = 0");
    drain();
    List<String> good = rows("r1");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec(
        "UPDATE r1 SET status = 'BROKEN', amount = 0 WHERE id <= 100",
        "DELETE FROM r1 WHERE id > 180",
        "INSERT INTO r1 VALUES (500, 'junk', 1)");
    drain();
    List<String> untouchedBefore =
        query("SELECT xmin::text FROM r1 WHERE id BETWEEN 101 AND 180 ORDER BY id");

    RollbackPlan plan = planner().rollbackTable(TableId.of("public", "r1"), new PointInTime.At(t));
    assertThat(plan.counts())
        .containsEntry(Action.UPDATE, 100)
        .containsEntry(Action.INSERT, 20)
        .containsEntry(Action.DELETE, 1);
    assertThat(rows("r1")).as("planning writes nothing").isNotEqualTo(good);
    ApplyResult r = apply(plan, ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(r.applied())
        .containsEntry(Action.UPDATE, 100)
        .containsEntry(Action.INSERT, 20)
        .containsEntry(Action.DELETE, 1);
    assertThat(rows("r1")).isEqualTo(good);
    assertThat(query("SELECT xmin::text FROM r1 WHERE id BETWEEN 101 AND 180 ORDER BY id"))
        .as("rows untouched since the target time are not written")
        .isEqualTo(untouchedBefore);
  }

  PlanApplier.Outcome planAndApply(String table, long micros, ConflictPolicy policy)
      throws Exception {
    try (Connection c = pg.connect()) {
      return new PlanApplier(c)
          .rollbackTable(
              planner(),
              TableId.of("public", table),
              new PointInTime.At(micros),
              policy,
              "tester",
              "test",
              PlanApplier.Progress.NONE);
    }
  }

  /**
   * A whole table planned and written together (its rows staged while the journal is read) goes
   * back exactly as planning and then applying does: rows changed again later are staged again,
   * rows that end where they were are withdrawn, untouched rows are not written. The rows are
   * enough for several COPY chunks and planner batches.
   */
  @Test
  void aWholeTablePlannedAndWrittenTogetherGoesBackExactly() throws Exception {
    pg.exec(
        "CREATE TABLE r30 (id int PRIMARY KEY, status text, amount numeric(10,2))",
        "ALTER TABLE r30 REPLICA IDENTITY FULL",
        "INSERT INTO r30 SELECT g, 'ok', g * 1.5 FROM generate_series(1, 30000) g");
    capture("r30");
    List<String> good = rows("r30");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec(
        "UPDATE r30 SET status = 'BROKEN', amount = 0 WHERE id <= 25000",
        "UPDATE r30 SET status = 'WORSE' WHERE id % 7 = 0 AND id <= 25000", // changed again
        "UPDATE r30 SET status = 'ok', amount = id * 1.5 WHERE id BETWEEN 24001 AND 24010", // back
        "UPDATE r30 SET status = status WHERE id BETWEEN 29001 AND 29005", // unchanged first
        "UPDATE r30 SET amount = -1 WHERE id BETWEEN 29001 AND 29005", // and changed later
        "DELETE FROM r30 WHERE id > 29990",
        "INSERT INTO r30 SELECT g, 'junk', 1 FROM generate_series(40001, 40100) g",
        "INSERT INTO r30 VALUES (50000, 'gone again', 1)",
        "DELETE FROM r30 WHERE id = 50000");
    drain();
    List<String> untouchedBefore =
        query("SELECT xmin::text FROM r30 WHERE id BETWEEN 25001 AND 29000 ORDER BY id");
    RollbackPlan expected =
        planner().rollbackTable(TableId.of("public", "r30"), new PointInTime.At(t));

    PlanApplier.Outcome o = planAndApply("r30", t, ConflictPolicy.ABORT);

    assertThat(o.plan().changes()).containsExactlyElementsOf(expected.changes());
    assertThat(o.result().conflicts()).isEmpty();
    assertThat(o.result().applied())
        .containsEntry(Action.UPDATE, 25000 - 10 + 5)
        .containsEntry(Action.INSERT, 10)
        .containsEntry(Action.DELETE, 100);
    assertThat(rows("r30")).isEqualTo(good);
    assertThat(query("SELECT xmin::text FROM r30 WHERE id BETWEEN 25001 AND 29000 ORDER BY id"))
        .as("rows untouched since the target time are not written")
        .isEqualTo(untouchedBefore);
    assertThat(query("SELECT DISTINCT xmin::text FROM r30 WHERE id <= 24000"))
        .as("written by the lean write, in the rollback's own transaction")
        .containsExactly(o.result().txId());
  }

  /**
   * A row written after the journal's last version, while a whole table is planned and written
   * together: the lean write falls short, values are compared, the row is reported, and nothing is
   * written.
   */
  @Test
  void aConflictMetWhenPlannedAndWrittenTogetherIsReportedAndNothingIsWritten() throws Exception {
    pg.exec(
        "CREATE TABLE r31 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r31 REPLICA IDENTITY FULL",
        "INSERT INTO r31 SELECT g, 'good' FROM generate_series(1, 2000) g");
    capture("r31");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec("UPDATE r31 SET v = 'bad'");
    drain();
    capture.close(); // the journal will not see the next write
    capture = null;
    pg.exec("UPDATE r31 SET v = 'fixed by hand' WHERE id = 1234");
    List<String> before = rows("r31");

    PlanApplier.Outcome o = planAndApply("r31", t, ConflictPolicy.ABORT);

    assertThat(o.result().aborted()).isTrue();
    assertThat(o.result().conflicts())
        .singleElement()
        .satisfies(c -> assertThat(c.key().toString()).isEqualTo("1234"));
    assertThat(rows("r31")).isEqualTo(before);
  }

  /**
   * The write is checked by xmin first: a live row is still the journal's version when the
   * transaction that wrote that version wrote it. A rollback writes without a savepoint, so its
   * rows carry its own transaction id and the next rollback over them is checked the same way.
   */
  @Test
  void aRollbacksRowsCarryItsOwnTransactionSoTheNextCheckIsLeanToo() throws Exception {
    pg.exec(
        "CREATE TABLE r20 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r20 REPLICA IDENTITY FULL",
        "INSERT INTO r20 SELECT g, 'good' FROM generate_series(1, 40) g");
    capture("r20");
    String bad = txOf("UPDATE r20 SET v = 'bad'");
    drain();
    ApplyResult undo = apply(planner().backout(bad, false), ConflictPolicy.ABORT);
    assertThat(undo.conflicts()).isEmpty();
    assertThat(query("SELECT DISTINCT xmin::text FROM r20")).containsExactly(undo.txId());
    drain();
    ApplyResult redo = apply(planner().backout(undo.txId(), false), ConflictPolicy.ABORT);
    assertThat(redo.applied()).containsEntry(Action.UPDATE, 40);
    assertThat(query("SELECT DISTINCT xmin::text FROM r20")).containsExactly(redo.txId());
    assertThat(query("SELECT DISTINCT v FROM r20")).containsExactly("bad");
  }

  /**
   * A row last written inside a savepoint carries the subtransaction's xid, not the one the journal
   * has: the xmin check cannot vouch for it, values are compared instead, and the rollback is the
   * same. A row changed since, to the very values the journal has, passes that comparison too.
   */
  @Test
  void rowsTheXminCheckCannotVouchForAreComparedByValue() throws Exception {
    pg.exec(
        "CREATE TABLE r21 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r21 REPLICA IDENTITY FULL",
        "INSERT INTO r21 SELECT g, 'good' FROM generate_series(1, 50) g");
    capture("r21");
    List<String> good = rows("r21");
    long t = nowMicros();
    Thread.sleep(5);
    txOf(
        "UPDATE r21 SET v = 'plain' WHERE id <= 25; SAVEPOINT s1;"
            + " UPDATE r21 SET v = 'nested' WHERE id > 25; RELEASE SAVEPOINT s1");
    drain();
    RollbackPlan plan = planner().rollbackTable(TableId.of("public", "r21"), new PointInTime.At(t));
    pg.exec("UPDATE r21 SET v = v WHERE id = 1"); // a new xmin, the same values
    ApplyResult r = apply(plan, ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(r.applied()).containsEntry(Action.UPDATE, 50);
    assertThat(rows("r21")).isEqualTo(good);
    assertThat(query("SELECT DISTINCT xmin::text FROM r21"))
        .as("written by the comparing path, under its savepoint")
        .doesNotContain(r.txId());
  }

  /**
   * A table with a trigger of its own skips the xmin check: a trigger could remove a row the lean
   * write already wrote. The comparing path applies it, and the trigger fires as for any write.
   */
  @Test
  void aTableWithItsOwnTriggerIsComparedByValue() throws Exception {
    pg.exec(
        "CREATE TABLE r22 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r22 REPLICA IDENTITY FULL",
        "CREATE TABLE r22_log (id int, v text)",
        "CREATE FUNCTION r22_log() RETURNS trigger LANGUAGE plpgsql AS"
            + " $$BEGIN INSERT INTO r22_log VALUES (NEW.id, NEW.v); RETURN NEW; END$$",
        "CREATE TRIGGER r22_log AFTER UPDATE ON r22 FOR EACH ROW EXECUTE FUNCTION r22_log()",
        "INSERT INTO r22 SELECT g, 'good' FROM generate_series(1, 10) g");
    capture("r22");
    String bad = txOf("UPDATE r22 SET v = 'bad'");
    drain();
    ApplyResult r = apply(planner().backout(bad, false), ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(query("SELECT DISTINCT v FROM r22")).containsExactly("good");
    assertThat(query("SELECT count(*) FROM r22_log WHERE v = 'good'")).containsExactly("10");
    assertThat(query("SELECT DISTINCT xmin::text FROM r22"))
        .as("written by the comparing path, under its savepoint")
        .doesNotContain(r.txId());

    // the whole table, planned and written together, is not staged early either
    drain();
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec("UPDATE r22 SET v = 'bad again'");
    drain();
    PlanApplier.Outcome o = planAndApply("r22", t, ConflictPolicy.ABORT);
    assertThat(o.result().conflicts()).isEmpty();
    assertThat(query("SELECT DISTINCT v FROM r22")).containsExactly("good");
    assertThat(query("SELECT DISTINCT xmin::text FROM r22")).doesNotContain(o.result().txId());
  }

  @Test
  void namedRowsAndBeforeTxRollBackOnlyThoseRows() throws Exception {
    pg.exec(
        "CREATE TABLE r2 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r2 REPLICA IDENTITY FULL",
        "INSERT INTO r2 SELECT g, 'v' || g FROM generate_series(1, 5) g");
    capture("r2");
    String tx =
        query(
                "WITH u AS (UPDATE r2 SET v = 'bad' RETURNING 1) SELECT (txid_current() % 4294967296)::text")
            .get(0);
    pg.exec("UPDATE r2 SET v = 'later' WHERE id = 5");
    drain();
    RollbackPlan rows =
        planner()
            .rollbackRows(
                TableId.of("public", "r2"), List.of(key(1), key(2)), new PointInTime.BeforeTx(tx));
    assertThat(rows.changes()).hasSize(2);
    apply(rows, ConflictPolicy.ABORT);
    assertThat(rows("r2")).containsExactly("(1,v1)", "(2,v2)", "(3,bad)", "(4,bad)", "(5,later)");
  }

  @Test
  void backoutListsDependentsAbortsOnThemAndCascadesWhenAsked() throws Exception {
    pg.exec(
        "CREATE TABLE r3 (id int PRIMARY KEY, v int)",
        "ALTER TABLE r3 REPLICA IDENTITY FULL",
        "INSERT INTO r3 SELECT g, 0 FROM generate_series(1, 3) g");
    capture("r3");
    String bad = txOf("UPDATE r3 SET v = 1");
    String later = txOf("UPDATE r3 SET v = v + 10 WHERE id = 1");
    drain();
    RollbackPlan plan = planner().backout(bad, false);
    assertThat(plan.dependents()).containsExactly(later);
    ApplyResult aborted = apply(plan, ConflictPolicy.ABORT);
    assertThat(aborted.aborted()).isTrue();
    assertThat(aborted.conflicts()).extracting(c -> c.key().toString()).containsExactly("1");
    assertThat(rows("r3")).containsExactly("(1,11)", "(2,1)", "(3,1)");

    ApplyResult skipped = apply(planner().backout(bad, false), ConflictPolicy.SKIP);
    assertThat(skipped.applied()).containsEntry(Action.UPDATE, 2);
    assertThat(rows("r3")).containsExactly("(1,11)", "(2,0)", "(3,0)");
    drain();

    RollbackPlan cascade = planner().backout(bad, true);
    assertThat(cascade.dependents()).isEmpty();
    apply(cascade, ConflictPolicy.ABORT);
    assertThat(rows("r3")).containsExactly("(1,0)", "(2,0)", "(3,0)");
  }

  @Test
  void aValueByValueBackoutOfSeveralTransactionsKeepsTheLaterWorkAndNamesWhatCollides()
      throws Exception {
    pg.exec(
        "CREATE TABLE r3c (id int PRIMARY KEY, customer int, amount numeric(10,2), status text)",
        "ALTER TABLE r3c REPLICA IDENTITY FULL",
        "INSERT INTO r3c SELECT g, g, g * 10, 'new' FROM generate_series(1, 6) g");
    capture("r3c");
    // a loader in three transactions, the shop writing between and after them
    String rewrite = txOf("UPDATE r3c SET customer = 99, amount = 0 WHERE id <= 3");
    pg.exec("UPDATE r3c SET status = 'shipped' WHERE id IN (1, 4)");
    String bulk = txOf("INSERT INTO r3c SELECT g, 99, 1, 'test' FROM generate_series(100, 104) g");
    String deletes = txOf("DELETE FROM r3c WHERE id IN (5, 6)");
    pg.exec(
        "UPDATE r3c SET amount = 25 WHERE id = 2", "UPDATE r3c SET status = 'paid' WHERE id = 3");
    drain();
    List<String> txs = List.of(rewrite, bulk, deletes);

    // abort (the default) writes nothing and names the value that collides
    RollbackPlan plan = planner().backout(txs, Granularity.CELL, ConflictPolicy.ABORT, false);
    List<String> before = rows("r3c");
    ApplyResult aborted = apply(plan, ConflictPolicy.ABORT);
    assertThat(aborted.aborted()).isTrue();
    assertThat(aborted.conflicts())
        .singleElement()
        .satisfies(
            c -> assertThat(c.reason()).contains("amount: changed by transaction " + rewrite));
    assertThat(rows("r3c")).isEqualTo(before);

    // skip: every value only the loader changed goes back, every later value stays, in one go
    ApplyResult done =
        apply(
            planner().backout(txs, Granularity.CELL, ConflictPolicy.SKIP, false),
            ConflictPolicy.SKIP);
    assertThat(done.aborted()).isFalse();
    assertThat(rows("r3c"))
        .containsExactly(
            "(1,1,10.00,shipped)",
            "(2,2,25.00,new)",
            "(3,3,30.00,paid)",
            "(4,4,40.00,shipped)",
            "(5,5,50.00,new)",
            "(6,6,60.00,new)");
    drain();
    assertThat(planner().backout(txs, Granularity.CELL, ConflictPolicy.SKIP, false).changes())
        .as("a second backout has nothing left to do")
        .isEmpty();
  }

  @Test
  void aUserThatMayNotWriteIsRefusedWithTheGrantsBeforeAnythingIsWritten() throws Exception {
    pg.exec(
        "CREATE TABLE r3g (id int PRIMARY KEY, v text)",
        "ALTER TABLE r3g REPLICA IDENTITY FULL",
        "INSERT INTO r3g VALUES (1, 'good'), (2, 'good')",
        "DROP ROLE IF EXISTS applier",
        "CREATE ROLE applier LOGIN PASSWORD 'pw'",
        "GRANT SELECT ON r3g TO applier");
    capture("r3g");
    String bad = txOf("UPDATE r3g SET v = 'bad'");
    drain();
    RollbackPlan plan =
        planner().backout(List.of(bad), Granularity.CELL, ConflictPolicy.ABORT, false);
    String url = pg.url();
    try (Connection c = java.sql.DriverManager.getConnection(url, "applier", "pw")) {
      assertThatThrownBy(
              () ->
                  new PlanApplier(c)
                      .apply(plan, ConflictPolicy.ABORT, "t", "t", PlanApplier.Progress.NONE))
          .isInstanceOf(io.rowguard.core.InputException.class)
          .hasMessageContaining("user applier may not make this plan's writes")
          .hasMessageContaining("GRANT UPDATE ON \"public\".\"r3g\" TO \"applier\"");
    }
    assertThat(rows("r3g")).containsExactly("(1,bad)", "(2,bad)");
    pg.exec("GRANT UPDATE ON r3g TO applier");
    try (Connection c = java.sql.DriverManager.getConnection(url, "applier", "pw")) {
      ApplyResult r =
          new PlanApplier(c).apply(plan, ConflictPolicy.ABORT, "t", "t", PlanApplier.Progress.NONE);
      assertThat(r.aborted()).isFalse();
    }
    assertThat(rows("r3g")).containsExactly("(1,good)", "(2,good)");
  }

  @Test
  void aRollbackNamesTheLaterTransactionsWhoseWorkItUndoes() throws Exception {
    pg.exec(
        "CREATE TABLE r3u (id int PRIMARY KEY, v text)",
        "ALTER TABLE r3u REPLICA IDENTITY FULL",
        "INSERT INTO r3u VALUES (1, 'a'), (2, 'a'), (3, 'a')");
    capture("r3u");
    String bad = txOf("UPDATE r3u SET v = 'bad'");
    String later = txOf("UPDATE r3u SET v = 'fixed' WHERE id = 1");
    String elsewhere = txOf("INSERT INTO r3u VALUES (4, 'new')");
    String rewrote = txOf("UPDATE r3u SET v = 'bad' WHERE id = 2"); // the same value again
    drain();
    TableId t = TableId.of("public", "r3u");
    RollbackPlan table = planner().rollbackTable(t, new PointInTime.BeforeTx(bad));
    assertThat(table.undone())
        .extracting(UndoneTransaction::txId)
        .containsExactly(bad, later, elsewhere, rewrote);
    assertThat(table.undone().get(0).changes()).isEqualTo(3);
    RollbackPlan rows = planner().rollbackRows(t, List.of(key(3)), new PointInTime.BeforeTx(bad));
    assertThat(rows.undone()).extracting(UndoneTransaction::txId).containsExactly(bad);
  }

  @Test
  void aRollbackAcrossAWidenedColumnRunTwicePlansNothingTheSecondTime() throws Exception {
    pg.exec(
        "CREATE TABLE r3w (id int PRIMARY KEY, d int)",
        "ALTER TABLE r3w REPLICA IDENTITY FULL",
        "INSERT INTO r3w VALUES (1, 10), (2, 20)");
    capture("r3w");
    String bad = txOf("UPDATE r3w SET d = 0");
    pg.exec("ALTER TABLE r3w ALTER COLUMN d TYPE bigint", "UPDATE r3w SET d = 99 WHERE id = 1");
    drain();
    TableId t = TableId.of("public", "r3w");
    apply(planner().rollbackTable(t, new PointInTime.BeforeTx(bad)), ConflictPolicy.ABORT);
    assertThat(rows("r3w")).containsExactly("(1,10)", "(2,20)");
    drain();
    assertThat(planner().rollbackTable(t, new PointInTime.BeforeTx(bad)).changes()).isEmpty();
  }

  @Test
  void aRollbackIsJournaledAsOneAndCanItselfBeBackedOut() throws Exception {
    pg.exec(
        "CREATE TABLE r4 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r4 REPLICA IDENTITY FULL",
        "INSERT INTO r4 VALUES (1, 'good'), (2, 'good')");
    capture("r4");
    String bad = txOf("UPDATE r4 SET v = 'bad'");
    drain();
    ApplyResult r = apply(planner().backout(bad, false), ConflictPolicy.ABORT);
    assertThat(rows("r4")).containsExactly("(1,good)", "(2,good)");
    drain();
    assertThat(journal.tag(r.txId()))
        .get()
        .satisfies(
            tag -> {
              assertThat(tag.actor()).isEqualTo("tester");
              assertThat(tag.rollback()).isEqualTo(r.planId());
            });
    assertThat(journal.attribution(journal.transaction(r.txId()).get(0)).actor())
        .isEqualTo("tester");
    assertThat(journal.transaction(r.txId())).hasSize(2);

    apply(planner().backout(r.txId(), false), ConflictPolicy.ABORT);
    assertThat(rows("r4")).containsExactly("(1,bad)", "(2,bad)");
  }

  @Test
  void eachConflictPolicyWithAConcurrentWriter() throws Exception {
    pg.exec(
        "CREATE TABLE r5 (id int PRIMARY KEY, v text)",
        "ALTER TABLE r5 REPLICA IDENTITY FULL",
        "INSERT INTO r5 SELECT g, 'good' FROM generate_series(1, 4) g");
    capture("r5");
    long allGood = nowMicros();
    Thread.sleep(5);
    String bad = txOf("UPDATE r5 SET v = 'bad'");
    drain();
    RollbackPlan plan = planner().backout(bad, false);
    // written after the journal's last version (the capture has not seen it yet, or it races)
    pg.exec("UPDATE r5 SET v = 'fixed by hand' WHERE id = 2");

    ApplyResult abort = apply(plan, ConflictPolicy.ABORT);
    assertThat(abort.aborted()).isTrue();
    assertThat(abort.conflicts()).extracting(c -> c.key().toString()).containsExactly("2");
    assertThat(rows("r5"))
        .containsExactly("(1,bad)", "(2,\"fixed by hand\")", "(3,bad)", "(4,bad)");

    ApplyResult skip = apply(plan, ConflictPolicy.SKIP);
    assertThat(skip.conflicts()).hasSize(1);
    assertThat(rows("r5"))
        .containsExactly("(1,good)", "(2,\"fixed by hand\")", "(3,good)", "(4,good)");

    pg.exec("UPDATE r5 SET v = 'bad'");
    drain();
    // planned from a journal that has everything, then a writer moves row 3 on
    RollbackPlan again =
        planner().rollbackTable(TableId.of("public", "r5"), new PointInTime.At(allGood));
    pg.exec("UPDATE r5 SET v = 'x' WHERE id = 3");
    ApplyResult overwrite = apply(again, ConflictPolicy.OVERWRITE);
    assertThat(overwrite.conflicts()).isNotEmpty();
    assertThat(rows("r5")).containsExactly("(1,good)", "(2,good)", "(3,good)", "(4,good)");
  }

  /**
   * Under a case-insensitive collation 'bad' = 'BAD', yet a row changed from one to the other
   * moved.
   */
  @Test
  void aCaseOnlyChangeUnderANondeterministicCollationIsAConflict() throws Exception {
    try {
      pg.exec(
          "CREATE COLLATION IF NOT EXISTS ci"
              + " (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
    } catch (Exception e) {
      assumeTrue(false, "this PostgreSQL has no ICU collations: " + e.getMessage());
    }
    pg.exec(
        "CREATE TABLE r10 (id int PRIMARY KEY, v text COLLATE ci, w varchar(9) COLLATE ci)",
        "ALTER TABLE r10 REPLICA IDENTITY FULL",
        "INSERT INTO r10 VALUES (1, 'good', 'good'), (2, 'good', 'good')");
    capture("r10");
    String bad = txOf("UPDATE r10 SET v = 'bad', w = 'bad'");
    drain();
    RollbackPlan plan = planner().backout(bad, false);
    pg.exec("UPDATE r10 SET v = 'BAD' WHERE id = 1", "UPDATE r10 SET w = 'Bad' WHERE id = 2");

    ApplyResult abort = apply(plan, ConflictPolicy.ABORT);
    assertThat(abort.aborted()).isTrue();
    assertThat(abort.conflicts()).extracting(c -> c.key().toString()).containsExactly("1", "2");
    assertThat(rows("r10")).containsExactly("(1,BAD,bad)", "(2,bad,Bad)");
  }

  @Test
  void foreignKeysOrderTheStatements() throws Exception {
    pg.exec(
        "CREATE TABLE p6 (id int PRIMARY KEY, name text)",
        "CREATE TABLE c6 (id int PRIMARY KEY, parent int NOT NULL REFERENCES p6, note text)",
        "ALTER TABLE p6 REPLICA IDENTITY FULL",
        "ALTER TABLE c6 REPLICA IDENTITY FULL",
        "INSERT INTO p6 VALUES (1, 'one'), (2, 'two')",
        "INSERT INTO c6 VALUES (10, 1, 'a'), (20, 2, 'b')");
    capture("p6", "c6");
    List<String> parents = rows("p6");
    List<String> children = rows("c6");
    String deleted = txOf("DELETE FROM c6; DELETE FROM p6");
    String inserted =
        txOf("INSERT INTO p6 VALUES (3, 'three'); INSERT INTO c6 VALUES (30, 3, 'c')");
    drain();
    apply(planner().backout(inserted, false), ConflictPolicy.ABORT); // children deleted first
    apply(planner().backout(deleted, false), ConflictPolicy.ABORT); // parents inserted first
    assertThat(rows("p6")).isEqualTo(parents);
    assertThat(rows("c6")).isEqualTo(children);
  }

  /**
   * A loader inserted a test customer and pointed real orders at it, and an employee row became a
   * manager of another: backing it out moves the children back before their new parent goes.
   */
  @Test
  void aParentInsertedWithChildrenPointedAtItIsDeletedAfterTheChildrenMoveBack() throws Exception {
    pg.exec(
        "CREATE TABLE cust (id int PRIMARY KEY, name text)",
        "CREATE TABLE ord (id int PRIMARY KEY, customer int NOT NULL REFERENCES cust, status text)",
        "CREATE TABLE emp (id int PRIMARY KEY, manager int REFERENCES emp, name text)",
        "ALTER TABLE cust REPLICA IDENTITY FULL",
        "ALTER TABLE ord REPLICA IDENTITY FULL",
        "ALTER TABLE emp REPLICA IDENTITY FULL",
        "INSERT INTO cust VALUES (1, 'ann'), (2, 'bob')",
        "INSERT INTO ord VALUES (10, 1, 'new'), (20, 2, 'new'), (30, 2, 'new')",
        "INSERT INTO emp VALUES (1, NULL, 'boss'), (2, 1, 'dev')");
    capture("cust", "ord", "emp");
    List<String> customers = rows("cust");
    List<String> employees = rows("emp");
    String loader =
        txOf(
            "INSERT INTO cust VALUES (99, 'test'); UPDATE ord SET customer = 99 WHERE id <= 20;"
                + " INSERT INTO emp VALUES (99, NULL, 'test'); UPDATE emp SET manager = 99 WHERE"
                + " id = 2");
    pg.exec("UPDATE ord SET status = 'shipped' WHERE id = 10");
    drain();
    ApplyResult r =
        apply(
            planner().backout(List.of(loader), Granularity.CELL, ConflictPolicy.ABORT, false),
            ConflictPolicy.ABORT);
    assertThat(r.aborted()).isFalse();
    assertThat(rows("cust")).isEqualTo(customers);
    assertThat(rows("ord")).containsExactly("(10,1,shipped)", "(20,2,new)", "(30,2,new)");
    assertThat(rows("emp")).isEqualTo(employees);
  }

  /**
   * The plan's own delete of a parent cascades to a child the plan updates: the update finds no
   * row, and the child comes back whole, as the plan wants it, not with only its changed columns.
   */
  @Test
  void aChildRemovedByThePlansOwnCascadeComesBackWhole() throws Exception {
    pg.exec(
        "CREATE TABLE p9 (id int PRIMARY KEY)",
        "CREATE TABLE c9 (id int PRIMARY KEY, parent int NOT NULL REFERENCES p9 ON DELETE CASCADE,"
            + " note text NOT NULL, kept text NOT NULL)",
        "ALTER TABLE p9 REPLICA IDENTITY FULL",
        "ALTER TABLE c9 REPLICA IDENTITY FULL",
        "INSERT INTO p9 VALUES (1)",
        "INSERT INTO c9 VALUES (10, 1, 'a', 'untouched'), (11, 1, 'b', 'untouched')");
    capture("p9", "c9");
    List<String> children = rows("c9");
    String moved =
        txOf("INSERT INTO p9 VALUES (2); UPDATE c9 SET parent = 2, note = 'moved' WHERE id = 10");
    drain();
    ApplyResult r = apply(planner().backout(moved, false), ConflictPolicy.ABORT);
    assertThat(r.aborted()).isFalse();
    assertThat(r.conflicts()).isEmpty();
    assertThat(rows("p9")).containsExactly("(1)");
    assertThat(rows("c9")).isEqualTo(children);
  }

  @Test
  void addedAndDroppedColumns() throws Exception {
    pg.exec(
        "CREATE TABLE r7 (id int PRIMARY KEY, a text, b text)",
        "ALTER TABLE r7 REPLICA IDENTITY FULL",
        "INSERT INTO r7 VALUES (1, 'a1', 'b1'), (2, 'a2', 'b2')");
    capture("r7");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec("UPDATE r7 SET a = 'bad', b = 'bad'");
    // journaled before the column goes: Debezium reads a table's columns from the catalog when
    // it sees them change, so a change still in flight at the DROP would arrive without b
    drain();
    pg.exec(
        "ALTER TABLE r7 DROP COLUMN b",
        "ALTER TABLE r7 ADD COLUMN c text DEFAULT 'new'",
        "UPDATE r7 SET a = 'worse'");
    drain();
    RollbackPlan plan = planner().rollbackTable(TableId.of("public", "r7"), new PointInTime.At(t));
    ApplyResult r = apply(plan, ConflictPolicy.ABORT);
    assertThat(r.conflicts()).isEmpty();
    assertThat(rows("r7")).containsExactly("(1,a1,new)", "(2,a2,new)");
    assertThat(r.warnings())
        .anySatisfy(w -> assertThat(w).contains("column b of public.r7 was dropped"));

    // the same once more, planned and written together
    pg.exec("UPDATE r7 SET a = 'bad again'");
    drain();
    PlanApplier.Outcome o = planAndApply("r7", t, ConflictPolicy.ABORT);
    assertThat(o.result().conflicts()).isEmpty();
    assertThat(rows("r7")).containsExactly("(1,a1,new)", "(2,a2,new)");
    assertThat(o.result().warnings())
        .anySatisfy(w -> assertThat(w).contains("column b of public.r7 was dropped"));
  }

  @Test
  void exportAsOfEqualsTheTableAtThatTime() throws Exception {
    pg.exec(
        "CREATE TABLE r8 (id int PRIMARY KEY, v text, n numeric, ts timestamptz, tags text[])",
        "ALTER TABLE r8 REPLICA IDENTITY FULL",
        "INSERT INTO r8 SELECT g, 'v' || g, g / 3.0, now(), ARRAY['x', NULL] FROM generate_series(1, 20) g");
    capture("r8");
    pg.exec("UPDATE r8 SET v = 'changed', tags = '{}' WHERE id < 5", "DELETE FROM r8 WHERE id = 7");
    drain();
    List<String> then = rows("r8");
    long t = nowMicros();
    Thread.sleep(5);
    pg.exec(
        "UPDATE r8 SET v = 'later', n = 'NaN'", "INSERT INTO r8 VALUES (99, '', 0, now(), NULL)");
    drain();
    StringWriter sql = new StringWriter();
    long count =
        new Exporter(journal, Clock.systemUTC())
            .export(TableId.of("public", "r8"), t, Exporter.Format.SQL, sql);
    assertThat(count).isEqualTo(19);
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("DELETE FROM r8");
      s.execute(sql.toString());
      List<String> exported = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT ROW(t.*)::text FROM r8 t ORDER BY 1")) {
        while (rs.next()) {
          exported.add(rs.getString(1));
        }
      }
      c.rollback();
      assertThat(exported).isEqualTo(then);
    }
  }

  @Test
  void badTimesAndTransactionsAreInputErrors() throws Exception {
    pg.exec(
        "CREATE TABLE r9 (id int PRIMARY KEY)",
        "ALTER TABLE r9 REPLICA IDENTITY FULL",
        "INSERT INTO r9 VALUES (1)");
    capture("r9");
    JournalAwait.entries(journal, 1);
    TableId t = TableId.of("public", "r9");
    assertThatThrownBy(() -> planner().rollbackTable(t, new PointInTime.At(1_000_000L)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("the earliest time available is");
    assertThatThrownBy(
            () -> planner().rollbackTable(t, new PointInTime.At(nowMicros() + 3_600_000_000L)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("is in the future");
    assertThatThrownBy(() -> planner().backout("999999999", false))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("unknown transaction 999999999");
    assertThatThrownBy(
            // now by the planner's own clock: the server's, a microsecond finer, can be ahead of it
            () ->
                planner()
                    .rollbackRows(
                        t, List.of(key(42)), new PointInTime.At(System.currentTimeMillis() * 1000)))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("no row of public.r9 with key 42");
  }

  /** Runs statements in one transaction and returns its id as the journal shows it. */
  static String txOf(String statements) throws Exception {
    return txOf(pg, statements);
  }

  /** Runs the statements (separated by ;) as one transaction on {@code db}; returns its id. */
  static String txOf(PostgresFixture db, String statements) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      for (String q : statements.split(";")) {
        s.execute(q);
      }
      String tx;
      try (ResultSet rs = s.executeQuery("SELECT (txid_current() % 4294967296)::text")) {
        rs.next();
        tx = rs.getString(1);
      }
      c.commit();
      return tx;
    }
  }
}
