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
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** Capture from a real PostgreSQL 17 into a real journal: what goes in is what comes out. */
@ExtendWith(PostgresExtension.class)
class CaptureIT {
  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) {
    pg = fixture;
  }

  @TempDir Path dir;

  @Test
  void snapshotThenEveryKindOfChangeIsJournaledWithFullImages() throws Exception {
    pg.exec(
        "CREATE TABLE t1 (id int PRIMARY KEY, note text, amount numeric(12,2))",
        "ALTER TABLE t1 REPLICA IDENTITY FULL",
        "INSERT INTO t1 VALUES (1, 'one', 1.10), (2, 'two', 2.20)");
    RowguardConfig config = pg.config(dir, "public.t1", "t1");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 2);
      pg.exec(
          "INSERT INTO t1 VALUES (3, 'three', 3.30)",
          "UPDATE t1 SET note = 'uno', amount = 100.01 WHERE id = 1",
          "DELETE FROM t1 WHERE id = 2");
      JournalAwait.entries(journal, 5);

      List<ChangeEvent> all = events(journal);
      assertThat(all)
          .extracting(ChangeEvent::op)
          .containsExactly(Op.READ, Op.READ, Op.INSERT, Op.UPDATE, Op.DELETE);
      ChangeEvent update = all.get(3);
      assertThat(update.before().get("note")).isEqualTo("one");
      assertThat(update.before().get("amount")).isEqualTo("1.10");
      assertThat(update.after().get("note")).isEqualTo("uno");
      assertThat(update.after().get("amount")).isEqualTo("100.01");
      ChangeEvent delete = all.get(4);
      assertThat(delete.before().get("note")).isEqualTo("two");
      assertThat(delete.after()).isNull();
      assertThat(update.commitMicros()).isGreaterThan(all.get(0).commitMicros() - 60_000_000L);

      TableSchema schema = journal.latestSchema(TableId.of("public", "t1")).orElseThrow();
      List<JournalEntry> history =
          journal.history(TableId.of("public", "t1"), RowKey.parse("1", schema));
      assertThat(history).extracting(e -> e.event().op()).containsExactly(Op.READ, Op.UPDATE);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aTransactionKeepsItsIdAndOrder() throws Exception {
    pg.exec("CREATE TABLE t2 (id int PRIMARY KEY, v int)", "ALTER TABLE t2 REPLICA IDENTITY FULL");
    RowguardConfig config = pg.config(dir, "public.t2", "t2");
    long txid;
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      try (Connection c = pg.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO t2 VALUES (1, 1)");
        s.execute("INSERT INTO t2 VALUES (2, 2)");
        s.execute("UPDATE t2 SET v = 10 WHERE id = 1");
        s.execute("DELETE FROM t2 WHERE id = 2");
        var rs = s.executeQuery("SELECT txid_current()");
        rs.next();
        txid = rs.getLong(1);
        c.commit();
      }
      JournalAwait.entries(journal, 4);
      List<JournalEntry> tx = journal.transaction(Long.toString(txid));
      assertThat(tx)
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.INSERT, Op.UPDATE, Op.DELETE);
      assertThat(tx).extracting(e -> e.event().orderInTx()).containsExactly(0, 1, 2, 3);
      assertThat(tx)
          .extracting(e -> e.event().commitMicros())
          .containsOnly(tx.get(0).event().commitMicros());
    }
  }

  @Test
  void copyAndMultiRowInsertsAreJournaledWholeAndOnce() throws Exception {
    pg.exec("CREATE TABLE t3 (id int PRIMARY KEY, v text)", "ALTER TABLE t3 REPLICA IDENTITY FULL");
    RowguardConfig config = pg.config(dir, "public.t3", "t3");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      try (Connection c = pg.connect()) {
        CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
        StringBuilder rows = new StringBuilder();
        for (int i = 1; i <= 500; i++) {
          rows.append(i).append("\tcopied ").append(i).append('\n');
        }
        copy.copyIn("COPY t3 FROM STDIN", new java.io.StringReader(rows.toString()));
        try (Statement s = c.createStatement()) {
          s.execute("INSERT INTO t3 SELECT g, 'multi ' || g FROM generate_series(501, 1500) g");
          s.execute("INSERT INTO t3 VALUES (1501, 'a'), (1502, 'b'), (1503, 'c')");
        }
      }
      JournalAwait.entries(journal, 1503);
      List<ChangeEvent> all = events(journal);
      assertThat(all).hasSize(1503);
      assertThat(all.stream().map(e -> e.key().values().get(0)).distinct().count()).isEqualTo(1503);
    }
  }

  @Test
  void anUnchangedToastedValueIsFilledNeverAPlaceholder() throws Exception {
    pg.exec(
        "CREATE TABLE t4 (id int PRIMARY KEY, big text, tags text[], n int)",
        "ALTER TABLE t4 REPLICA IDENTITY FULL",
        "ALTER TABLE t4 ALTER COLUMN big SET STORAGE EXTERNAL");
    RowguardConfig config = pg.config(dir, "public.t4", "t4");
    String big = "x".repeat(20_000) + "end";
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      pg.exec(
          "INSERT INTO t4 VALUES (1, '" + big + "', ARRAY['a','b'], 0)",
          "UPDATE t4 SET n = 1 WHERE id = 1",
          "UPDATE t4 SET n = 2 WHERE id = 1");
      JournalAwait.entries(journal, 3);
      List<ChangeEvent> all = events(journal);
      for (ChangeEvent e : all) {
        assertThat(e.after().get("big")).isEqualTo(big);
        assertThat(e.after().get("tags")).isEqualTo("{a,b}");
      }
      assertThat(all.get(2).before().get("big")).isEqualTo(big);
    }
  }

  @Test
  void aPrimaryKeyChangeEndsOneRowAndStartsAnother() throws Exception {
    pg.exec(
        "CREATE TABLE t5 (id int PRIMARY KEY, v text)",
        "ALTER TABLE t5 REPLICA IDENTITY FULL",
        "INSERT INTO t5 VALUES (1, 'a')");
    RowguardConfig config = pg.config(dir, "public.t5", "t5");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 1);
      pg.exec("UPDATE t5 SET id = 2 WHERE id = 1");
      JournalAwait.entries(journal, 3);
      List<ChangeEvent> all = events(journal);
      assertThat(all.subList(1, 3))
          .extracting(e -> e.op() + ":" + e.key())
          .containsExactly("DELETE:1", "INSERT:2");
      assertThat(all.get(1).before().get("v")).isEqualTo("a");
      assertThat(all.get(2).after().get("v")).isEqualTo("a");
      assertThat(all.get(1).txId()).isEqualTo(all.get(2).txId());
    }
  }

  @Test
  void aCleanStopAndRestartWhileWritesContinueLosesAndDoublesNothing() throws Exception {
    pg.exec("CREATE TABLE t6 (id int PRIMARY KEY, v int)", "ALTER TABLE t6 REPLICA IDENTITY FULL");
    RowguardConfig config = pg.config(dir, "public.t6", "t6");
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = pg.connect();
                  Statement s = c.createStatement()) {
                for (int i = 1; i <= 600; i++) {
                  s.execute("INSERT INTO t6 VALUES (" + i + ", 0)");
                  s.execute("UPDATE t6 SET v = 1 WHERE id = " + i);
                  if (i % 50 == 0) {
                    Thread.sleep(20);
                  }
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      try (Capture capture = Capture.start(config, journal)) {
        pg.awaitStreaming(config);
        writer.start();
        JournalAwait.entries(journal, 200);
      }
      try (Capture capture = Capture.start(config, journal)) {
        Thread.sleep(300);
      }
      writer.join();
      try (Capture capture = Capture.start(config, journal)) {
        JournalAwait.entries(journal, 1200);
        Thread.sleep(500);
      }
      List<ChangeEvent> all = events(journal);
      assertThat(all).hasSize(1200);
      Map<String, Long> perKeyAndOp =
          all.stream()
              .collect(Collectors.groupingBy(e -> e.key() + e.op().name(), Collectors.counting()));
      assertThat(perKeyAndOp).hasSize(1200);
    }
  }

  @Test
  void aTableWithoutFullReplicaIdentityIsRefusedWithTheStatementToRun() throws Exception {
    pg.exec("CREATE TABLE \"Odd Name\" (id int PRIMARY KEY)");
    RowguardConfig config = pg.config(dir, "public.Odd Name", "odd");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      assertThatThrownBy(() -> Capture.start(config, journal))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("ALTER TABLE \"public\".\"Odd Name\" REPLICA IDENTITY FULL;");
    }
  }

  @Test
  void withTheOptInCaptureSetsReplicaIdentityFullItself() throws Exception {
    pg.exec("CREATE TABLE t7 (id int PRIMARY KEY, v text)", "INSERT INTO t7 VALUES (1, 'a')");
    java.util.Map<String, String> props = pg.configProperties(dir, "public.t7", "t7");
    props.put("capture.fix-replica-identity", "true");
    RowguardConfig config = RowguardConfig.of(dir.resolve("t7.properties"), props, e -> null);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 1);
      pg.exec("UPDATE t7 SET v = 'b'");
      JournalAwait.entries(journal, 2);
      assertThat(events(journal).get(1).before().get("v")).isEqualTo("a");
    }
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT relreplident FROM pg_class WHERE relname = 't7'")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("f");
    }
  }

  static List<ChangeEvent> events(Journal journal) {
    List<ChangeEvent> out = new ArrayList<>();
    journal.scan(1, e -> out.add(e.event()));
    return out;
  }
}
