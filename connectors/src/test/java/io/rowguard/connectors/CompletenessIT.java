package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariants 9 and 10 on a real PostgreSQL 17: every committed change of a captured table is
 * journaled or recorded as a gap, whatever happens to the database around the journal, and the
 * guard does not hold the database's WAL.
 */
@ExtendWith(PostgresExtension.class)
class CompletenessIT {
  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  /**
   * A config whose publication is rowguard's default (none named), slot named after {@code name}.
   */
  RowguardConfig config(Path journal, String include, String name, String... extra) {
    Map<String, String> p = pg.configProperties(journal, include, name);
    p.remove("source.publication.name");
    for (int i = 0; i < extra.length; i += 2) {
      p.put(extra[i], extra[i + 1]);
    }
    return RowguardConfig.of(journal.resolve("rowguard.properties"), p, e -> null);
  }

  // ---------------------------------------------------------------- 1. a second journal

  @Test
  void aSecondJournalGetsItsOwnPublicationAndNeverNarrowsTheFirstOnes() throws Exception {
    pg.exec(
        "CREATE TABLE two_a (id int PRIMARY KEY, v text)",
        "CREATE TABLE two_b (id int PRIMARY KEY, v text)",
        "CREATE TABLE two_c (id int PRIMARY KEY, v text)",
        "ALTER TABLE two_a REPLICA IDENTITY FULL",
        "ALTER TABLE two_b REPLICA IDENTITY FULL",
        "ALTER TABLE two_c REPLICA IDENTITY FULL");
    RowguardConfig first = config(dir.resolve("first"), "public.two_a,public.two_b", "two1");
    RowguardConfig second = config(dir.resolve("second"), "public.two_c", "two2");
    try (Journal j1 = Journal.openWriter(first.journalDir());
        Capture c1 = Capture.start(first, j1);
        Journal j2 = Journal.openWriter(second.journalDir());
        Capture c2 = Capture.start(second, j2)) {
      pg.awaitStreaming(first);
      pg.awaitStreaming(second);
      pg.exec(
          "INSERT INTO two_a VALUES (1, 'a')",
          "INSERT INTO two_b VALUES (1, 'b')",
          "INSERT INTO two_c VALUES (1, 'c')");
      JournalAwait.entries(j1, 2);
      JournalAwait.entries(j2, 1);
      assertThat(publicationTables("rg_two1")).containsExactly("two_a", "two_b");
      assertThat(publicationTables("rg_two2")).containsExactly("two_c");

      // a third config naming the first journal's publication is refused, not let to narrow it
      RowguardConfig third =
          config(
              dir.resolve("third"), "public.two_c", "two3", "source.publication.name", "rg_two1");
      assertThatThrownBy(() -> Capture.check(third))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("publication rg_two1 belongs to another rowguard journal")
          .hasMessageContaining(j1.id());
      assertThat(publicationTables("rg_two1")).containsExactly("two_a", "two_b");
    }
  }

  // ---------------------------------------------------------------- 2. partitioned tables

  @Test
  void aPartitionedTableIsStreamedUnderItsOwnNameNotItsPartitions() throws Exception {
    pg.exec(
        "CREATE TABLE parts (id int, region text, amount int, PRIMARY KEY (id, region))"
            + " PARTITION BY LIST (region)",
        "CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu')",
        "CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us')",
        "INSERT INTO parts VALUES (1, 'eu', 10), (2, 'us', 20)");
    // the include list matches the partitions' names too: they are still captured through the root
    RowguardConfig refused = config(dir.resolve("refused"), "public.parts.*", "parts0");
    assertThatThrownBy(() -> Capture.check(refused))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("table public.parts is partitioned")
        .hasMessageContaining("ALTER TABLE \"public\".\"parts_eu\" REPLICA IDENTITY FULL;")
        .hasMessageContaining("ALTER TABLE \"public\".\"parts_us\" REPLICA IDENTITY FULL;");
    assertThat(dir.resolve("refused")).doesNotExist();

    RowguardConfig config =
        config(
            dir.resolve("parts"),
            "public.parts.*",
            "parts",
            "capture.fix-replica-identity",
            "true");
    Capture.Options fast = new Capture.Options(e -> {}, false, Duration.ofMillis(300));
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal, fast)) {
      JournalAwait.entries(journal, 2);
      pg.awaitStreaming(config);
      pg.exec(
          "INSERT INTO parts VALUES (3, 'us', 30)",
          "UPDATE parts SET amount = 11 WHERE id = 1",
          "DELETE FROM parts WHERE id = 2");
      JournalAwait.entries(journal, 5);
      TableId parts = TableId.of("public", "parts");
      assertThat(journal.tables()).containsExactly(parts);
      TableSchema schema = journal.latestSchema(parts).orElseThrow();
      assertThat(journal.history(parts, RowKey.parse("id=1,region=eu", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.UPDATE);
      assertThat(journal.history(parts, RowKey.parse("id=2,region=us", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.DELETE);
      assertThat(journal.history(parts, RowKey.parse("id=3,region=us", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT);

      // rows that come and go with a partition are not in the log: the table is snapshotted again
      pg.exec(
          "CREATE TABLE parts_asia (id int, region text, amount int, PRIMARY KEY (id, region))",
          "ALTER TABLE parts_asia REPLICA IDENTITY FULL",
          "INSERT INTO parts_asia VALUES (9, 'asia', 90)",
          "ALTER TABLE parts ATTACH PARTITION parts_asia FOR VALUES IN ('asia')",
          "ALTER TABLE parts DETACH PARTITION parts_us");
      RowKey attached = RowKey.parse("id=9,region=asia", schema);
      RowKey detached = RowKey.parse("id=3,region=us", schema);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (journal.history(parts, detached).size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(journal.history(parts, attached))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ);
      assertThat(journal.history(parts, detached))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.ABSENT);
      // the detached partition is a table the include list matches: taken in at the next start
      awaitOpenGap(journal, TableId.of("public", "parts_us"));

      // a truncate of one partition is not in the log: its new file gives it away
      pg.exec("TRUNCATE parts_asia");
      deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (journal.history(parts, attached).size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(journal.history(parts, attached))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.ABSENT);
      assertThat(journal.history(parts, RowKey.parse("id=1,region=eu", schema)))
          .extracting(e -> e.event().op())
          .as("the other partitions' rows are read again, and are not absent")
          .doesNotContain(Op.ABSENT);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aPartitionNamedWithoutItsPartitionedTableIsCapturedOnItsOwn() throws Exception {
    pg.exec(
        "CREATE TABLE solo (id int, region text, PRIMARY KEY (id, region))"
            + " PARTITION BY LIST (region)",
        "CREATE TABLE solo_eu PARTITION OF solo FOR VALUES IN ('eu')",
        "CREATE TABLE solo_us PARTITION OF solo FOR VALUES IN ('us')",
        "ALTER TABLE solo_eu REPLICA IDENTITY FULL",
        "INSERT INTO solo VALUES (1, 'eu'), (2, 'us')");
    RowguardConfig config = config(dir.resolve("solo"), "public.solo_eu", "solo");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 1);
      pg.awaitStreaming(config);
      pg.exec("INSERT INTO solo VALUES (3, 'eu'), (4, 'us')");
      JournalAwait.entries(journal, 2);
      TableId eu = TableId.of("public", "solo_eu");
      assertThat(journal.tables()).containsExactly(eu);
      TableSchema schema = journal.latestSchema(eu).orElseThrow();
      assertThat(journal.history(eu, RowKey.parse("id=3,region=eu", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aNewJournalRefusesASlotThatAlreadyExists() throws Exception {
    pg.exec(
        "CREATE TABLE taken_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE taken_t REPLICA IDENTITY FULL",
        "SELECT pg_create_logical_replication_slot('rg_taken', 'pgoutput')");
    RowguardConfig config = config(dir.resolve("taken"), "public.taken_t", "taken");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      assertThatThrownBy(() -> Capture.start(config, journal))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("replication slot rg_taken already exists, and this journal is new")
          .hasMessageContaining("SELECT pg_drop_replication_slot('rg_taken');");
      assertThat(journal.lastSeq()).isZero();
    }
    assertThat(slotExists("rg_taken")).as("another's slot is left alone").isTrue();
  }

  // ---------------------------------------------------------------- 3. new tables

  @Test
  void aTableCreatedWhileCaptureRunsOrStoppedGetsBaseVersionsAndEveryLaterChange()
      throws Exception {
    pg.exec(
        "CREATE TABLE new_first (id int PRIMARY KEY, v text)",
        "ALTER TABLE new_first REPLICA IDENTITY FULL",
        "INSERT INTO new_first VALUES (1, 'a')");
    RowguardConfig config = config(dir.resolve("new"), "public\\.new_.*", "newt");
    Capture.Options fast = new Capture.Options(e -> {}, false, Duration.ofMillis(300));
    TableId second = TableId.of("public", "new_second");
    TableId empty = TableId.of("public", "new_empty");
    TableId noKey = TableId.of("public", "new_nokey");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal, fast)) {
      JournalAwait.entries(journal, 1);
      pg.awaitStreaming(config);
      try (Connection c = pg.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false); // created and filled in one transaction
        s.execute("CREATE TABLE new_second (id int PRIMARY KEY, v text)");
        s.execute("INSERT INTO new_second SELECT g, 'v' || g FROM generate_series(1, 3) g");
        c.commit();
      }
      pg.exec("CREATE TABLE new_empty (id int PRIMARY KEY)", "CREATE TABLE new_nokey (v text)");
      awaitBased(journal, second, empty);
      pg.exec(
          "UPDATE new_second SET v = 'changed' WHERE id = 2",
          "INSERT INTO new_second VALUES (4, 'v4')",
          "INSERT INTO new_empty VALUES (1)");
      JournalAwait.entries(journal, 1 + 3 + 3);
      TableSchema schema = journal.latestSchema(second).orElseThrow();
      for (int id = 1; id <= 3; id++) {
        assertThat(
                journal
                    .history(second, RowKey.parse(Integer.toString(id), schema))
                    .get(0)
                    .event()
                    .op())
            .as("row %d of the new table has a base version", id)
            .isEqualTo(Op.READ);
      }
      ChangeEvent update = last(journal.history(second, RowKey.parse("2", schema)));
      assertThat(update.op()).isEqualTo(Op.UPDATE);
      assertThat(update.before().get("v")).isEqualTo("v2");
      assertThat(journal.history(second, RowKey.parse("4", schema))).hasSize(1);
      assertThat(journal.tables()).contains(empty);
      // before its snapshot the new table's rows are unknown: a closed gap says so
      assertThat(journal.gaps())
          .anySatisfy(
              g -> {
                assertThat(g.table()).isEqualTo(second);
                assertThat(g.isOpen()).isFalse();
                assertThat(g.changesLost()).isTrue();
              });
      // a table that matches but cannot be captured is an open gap that says why
      awaitOpenGap(journal, noKey);
      assertThat(capture.failure()).isEmpty();
    }
    // created while capture was stopped: snapshotted when it starts again (a start refuses what
    // it cannot capture exactly, so the operator fixes that first)
    pg.exec(
        "DROP TABLE new_nokey",
        "CREATE TABLE new_third (id int PRIMARY KEY, v text)",
        "INSERT INTO new_third VALUES (1, 'while stopped'), (2, 'too')");
    TableId third = TableId.of("public", "new_third");
    RowguardConfig restart =
        config(
            dir.resolve("new"), "public\\.new_.*", "newt", "capture.fix-replica-identity", "true");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(restart, journal, fast)) {
      awaitBased(journal, third);
      TableSchema schema = journal.latestSchema(third).orElseThrow();
      assertThat(journal.history(third, RowKey.parse("2", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ);
      assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  private static void awaitBased(Journal journal, TableId... tables) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!journal.basedTables().keySet().containsAll(List.of(tables))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "no base versions for " + List.of(tables) + " in 60 s: " + journal.basedTables());
      }
      Thread.sleep(100);
    }
  }

  private static void awaitOpenGap(Journal journal, TableId table) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (journal.openGaps().stream().noneMatch(g -> table.equals(g.table()))) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no open gap for " + table + ": " + journal.gaps());
      }
      Thread.sleep(100);
    }
  }

  // ---------------------------------------------------------------- 4. another database's journal

  @Test
  void aJournalRefusesADatabaseItDoesNotBelongTo() throws Exception {
    pg.exec("CREATE DATABASE elsewhere");
    try (Connection c =
            java.sql.DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + pg.port() + "/elsewhere", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE bound_t (id int PRIMARY KEY, v text)");
      s.execute("ALTER TABLE bound_t REPLICA IDENTITY FULL");
    }
    pg.exec(
        "CREATE TABLE bound_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE bound_t REPLICA IDENTITY FULL",
        "INSERT INTO bound_t VALUES (1, 'here')");
    Path journalDir = dir.resolve("bound");
    RowguardConfig here = config(journalDir, "public.bound_t", "bound");
    try (Journal journal = Journal.openWriter(journalDir);
        Capture capture = Capture.start(here, journal)) {
      JournalAwait.entries(journal, 1);
    }
    RowguardConfig there =
        config(
            journalDir, "public.bound_t", "bound_elsewhere", "source.database.dbname", "elsewhere");
    try (Journal journal = Journal.openWriter(journalDir)) {
      assertThatThrownBy(() -> Capture.start(there, journal))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("belongs to postgres database " + pg.database() + " (oid")
          .hasMessageContaining("this config points at postgres database elsewhere (oid");
      assertThat(journal.changeCount()).isEqualTo(1);
    }
    // the other database's slot was never created, let alone consumed
    assertThat(slotExists("rg_bound_elsewhere")).isFalse();
    RowguardConfig otherSlot = config(journalDir, "public.bound_t", "bound_renamed");
    try (Journal journal = Journal.openWriter(journalDir)) {
      assertThatThrownBy(() -> Capture.start(otherSlot, journal))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("resumes from replication slot rg_bound")
          .hasMessageContaining("set it back to rg_bound");
    }
  }

  // ---------------------------------------------------------------- 5. TRUNCATE

  @Test
  void aTruncateIsJournaledAsTheRemovalOfEveryRowTheJournalKnows() throws Exception {
    pg.exec(
        "CREATE TABLE trunc_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE trunc_t REPLICA IDENTITY FULL",
        "INSERT INTO trunc_t SELECT g, 'v' || g FROM generate_series(1, 5) g");
    RowguardConfig config = config(dir.resolve("trunc"), "public.trunc_t", "trunc");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 5);
      pg.awaitStreaming(config);
      try (Connection c = pg.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO trunc_t VALUES (6, 'v6')");
        s.execute("TRUNCATE trunc_t");
        s.execute("INSERT INTO trunc_t VALUES (1, 'again')");
        c.commit();
      }
      JournalAwait.entries(journal, 5 + 1 + 6 + 1);
      TableId t = TableId.of("public", "trunc_t");
      TableSchema schema = journal.latestSchema(t).orElseThrow();
      assertThat(journal.history(t, RowKey.parse("3", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.TRUNCATE);
      assertThat(journal.history(t, RowKey.parse("6", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.TRUNCATE);
      List<JournalEntry> one = journal.history(t, RowKey.parse("1", schema));
      assertThat(one)
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.TRUNCATE, Op.INSERT);
      assertThat(one.get(1).event().before().get("v")).isEqualTo("v1");
      assertThat(capture.failure()).isEmpty();
    }
  }

  // ---------------------------------------------------------------- 6. REPLICA IDENTITY DEFAULT

  @Test
  void aTableThatLosesReplicaIdentityFullKeepsFlowingWithWholeImagesAndAGap() throws Exception {
    pg.exec(
        "CREATE TABLE ri_t (id int PRIMARY KEY, v text, note text)",
        "ALTER TABLE ri_t REPLICA IDENTITY FULL",
        "CREATE TABLE ri_other (id int PRIMARY KEY, v text)",
        "ALTER TABLE ri_other REPLICA IDENTITY FULL",
        "INSERT INTO ri_t SELECT g, 'v' || g, 'note ' || g FROM generate_series(1, 4) g");
    RowguardConfig config = config(dir.resolve("ri"), "public.ri_t,public.ri_other", "ri");
    TableId t = TableId.of("public", "ri_t");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 4);
      pg.awaitStreaming(config);
      pg.exec(
          "ALTER TABLE ri_t REPLICA IDENTITY DEFAULT",
          "UPDATE ri_t SET v = 'changed' WHERE id = 1",
          "DELETE FROM ri_t WHERE id = 2",
          "INSERT INTO ri_other VALUES (1, 'the rest of the database flows')");
      JournalAwait.entries(journal, 7);
      assertThat(capture.state()).isEqualTo(Capture.State.RUNNING);
      TableSchema schema = journal.latestSchema(t).orElseThrow();
      ChangeEvent update = last(journal.history(t, RowKey.parse("1", schema)));
      assertThat(update.before().get("v")).isEqualTo("v1");
      assertThat(update.before().get("note")).isEqualTo("note 1");
      ChangeEvent delete = last(journal.history(t, RowKey.parse("2", schema)));
      assertThat(delete.op()).isEqualTo(Op.DELETE);
      assertThat(delete.before().get("note")).isEqualTo("note 2");
      assertThat(journal.openGaps())
          .singleElement()
          .satisfies(
              g -> {
                assertThat(g.table()).isEqualTo(t);
                assertThat(g.changesLost()).isFalse();
                assertThat(g.reason())
                    .contains("ALTER TABLE \"public\".\"ri_t\" REPLICA IDENTITY FULL;");
              });

      pg.exec("ALTER TABLE ri_t REPLICA IDENTITY FULL", "UPDATE ri_t SET v = 'full' WHERE id = 3");
      JournalAwait.entries(journal, 8);
      assertThat(journal.openGaps()).isEmpty();
      assertThat(journal.gaps()).singleElement().satisfies(g -> assertThat(g.isOpen()).isFalse());
      assertThat(last(journal.history(t, RowKey.parse("3", schema))).before().get("v"))
          .isEqualTo("v3");
    }
  }

  // ---------------------------------------------------------------- 7. a dropped slot

  @Test
  void aDroppedSlotIsAGapThatCaptureGoesOnPastOnceAccepted() throws Exception {
    pg.exec(
        "CREATE TABLE lost_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE lost_t REPLICA IDENTITY FULL",
        "INSERT INTO lost_t SELECT g, 'v' || g FROM generate_series(1, 5) g");
    RowguardConfig config = config(dir.resolve("lost"), "public.lost_t", "lost");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 5);
      pg.awaitStreaming(config);
    }
    pg.exec(
        "SELECT pg_drop_replication_slot('rg_lost')",
        "UPDATE lost_t SET v = 'in the gap' WHERE id = 1",
        "DELETE FROM lost_t WHERE id = 2",
        "INSERT INTO lost_t VALUES (6, 'v6')");
    TableId t = TableId.of("public", "lost_t");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      assertThatThrownBy(() -> Capture.start(config, journal))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("replication slot rg_lost no longer exists")
          .hasMessageContaining("--accept-gap");
      try (Capture capture = Capture.start(config, journal, new Capture.Options(e -> {}, true))) {
        // every row again as its base version after the gap, and the one removed in it
        JournalAwait.entries(journal, 5 + 5 + 1);
        assertThat(capture.failure()).isEmpty();
      }
      assertThat(journal.openGaps()).as("the snapshot after the gap closes it").isEmpty();
      TableSchema schema = journal.latestSchema(t).orElseThrow();
      assertThat(journal.history(t, RowKey.parse("2", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.ABSENT);
      assertThat(last(journal.history(t, RowKey.parse("1", schema))).after().get("v"))
          .isEqualTo("in the gap");
      assertThat(last(journal.history(t, RowKey.parse("6", schema))).op()).isEqualTo(Op.READ);
      assertThat(journal.gaps()).hasSize(1);
    }
    // once accepted, the gap is not found again
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      pg.exec("UPDATE lost_t SET v = 'after' WHERE id = 3");
      JournalAwait.entries(journal, 12);
      assertThat(journal.gaps()).hasSize(1);
      assertThat(journal.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  // ---------------------------------------------------------------- 10. the slot advances

  @Test
  void theSlotAdvancesWhileOnlyUncapturedTablesAreWritten() throws Exception {
    pg.exec(
        "CREATE TABLE idle_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE idle_t REPLICA IDENTITY FULL",
        "CREATE TABLE busy_t (id int PRIMARY KEY, v text)");
    RowguardConfig config =
        config(dir.resolve("idle"), "public.idle_t", "idle", "source.heartbeat.interval.ms", "200");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      long wrote = 0;
      for (int round = 0; round < 3; round++) {
        pg.exec(
            "INSERT INTO busy_t SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g"
                + " ON CONFLICT (id) DO UPDATE SET v = excluded.v");
        wrote = lsn("pg_current_wal_lsn()");
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (confirmed("rg_idle") < wrote && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(confirmed("rg_idle"))
          .as("the slot's confirmed position passes the writes to the uncaptured table")
          .isGreaterThanOrEqualTo(wrote);
      assertThat(journal.changeCount()).isZero();
      assertThat(capture.failure()).isEmpty();
    }
  }

  // ---------------------------------------------------------------- helpers

  private static ChangeEvent last(List<JournalEntry> history) {
    return history.get(history.size() - 1).event();
  }

  private static List<String> publicationTables(String publication) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT tablename FROM pg_publication_tables WHERE pubname = ? ORDER BY 1")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return new ArrayList<>(new TreeSet<>(out));
  }

  private static boolean slotExists(String slot) throws Exception {
    return queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = ?", slot) > 0;
  }

  private static long lsn(String expression) throws Exception {
    return queryLong("SELECT (" + expression + " - '0/0'::pg_lsn)::bigint");
  }

  private static long confirmed(String slot) throws Exception {
    return queryLong(
        "SELECT coalesce(max((confirmed_flush_lsn - '0/0'::pg_lsn)::bigint), -1)"
            + " FROM pg_replication_slots WHERE slot_name = ?",
        slot);
  }

  private static long queryLong(String sql, String... params) throws Exception {
    try (Connection c = pg.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setString(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
