package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Capture from a real MariaDB binlog into a real journal: what goes in is what comes out. */
@ExtendWith(MariaDbExtension.class)
class MariaDbCaptureIT extends BinlogCaptureChecks {
  @BeforeAll
  static void mariaDb(MariaDbFixture shared) {
    db = shared;
  }

  @Override
  String monitorPrivilege() {
    return "BINLOG MONITOR";
  }

  @Test
  void snapshotThenEveryKindOfChangeIsJournaledWithFullImagesAndItsGtid() throws Exception {
    db.exec(
        "CREATE TABLE shop.m1 (id int PRIMARY KEY, note varchar(40), amount decimal(12,2))",
        "INSERT INTO shop.m1 VALUES (1, 'one', 1.10), (2, 'two', 2.20)");
    RowguardConfig config = config("shop\\.m1");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 2);
      String gtid;
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO m1 VALUES (3, 'three', 3.30)");
        s.execute("UPDATE m1 SET note = 'uno', amount = 100.01 WHERE id = 1");
        s.execute("DELETE FROM m1 WHERE id = 2");
        c.commit();
        ResultSet rs = s.executeQuery("SELECT @@last_gtid");
        rs.next();
        gtid = rs.getString(1);
      }
      JournalAwait.entries(journal, 5);

      List<ChangeEvent> all = events(journal);
      assertThat(all)
          .extracting(ChangeEvent::op)
          .containsExactly(Op.READ, Op.READ, Op.INSERT, Op.UPDATE, Op.DELETE);
      ChangeEvent update = all.get(3);
      assertThat(update.table()).isEqualTo(TableId.of("shop", "m1"));
      assertThat(update.before().get("note")).isEqualTo("one");
      assertThat(update.before().get("amount")).isEqualTo("1.10");
      assertThat(update.after().get("amount")).isEqualTo("100.01");
      assertThat(all.get(4).before().get("note")).isEqualTo("two");
      // one transaction: its GTID, in order, one commit time
      List<JournalEntry> tx = journal.transaction(gtid);
      assertThat(tx)
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.UPDATE, Op.DELETE);
      assertThat(tx).extracting(e -> e.event().orderInTx()).containsExactly(0, 1, 2);
      assertThat(tx.get(0).event().position()).startsWith("binlog.");

      TableSchema schema = journal.latestSchema(TableId.of("shop", "m1")).orElseThrow();
      assertThat(journal.history(TableId.of("shop", "m1"), RowKey.parse("1", schema)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.READ, Op.UPDATE);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aSchemaChangeWhileCaptureIsStoppedIsDecodedWithTheSchemaOfItsTime() throws Exception {
    db.exec("CREATE TABLE shop.m2 (id int PRIMARY KEY, v int)");
    RowguardConfig config = config("shop\\.m2");
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      try (Capture capture = Capture.start(config, journal)) {
        assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
        db.exec("INSERT INTO shop.m2 VALUES (1, 1)");
        JournalAwait.entries(journal, 1);
      }
      assertThat(journal.schemaHistory()).isNotEmpty();
      // while capture is stopped: rows of the old shape, the DDL, rows of the new shape
      db.exec(
          "INSERT INTO shop.m2 VALUES (2, 2)",
          "ALTER TABLE shop.m2 ADD COLUMN label varchar(10) DEFAULT 'x' AFTER id",
          "INSERT INTO shop.m2 VALUES (3, 'three', 3)",
          "UPDATE shop.m2 SET v = 20 WHERE id = 2");
      try (Capture capture = Capture.start(config, journal)) {
        JournalAwait.entries(journal, 4);
        db.exec("INSERT INTO shop.m2 VALUES (4, 'four', 4)");
        JournalAwait.entries(journal, 5);
        assertThat(capture.failure()).isEmpty();
      }
      List<ChangeEvent> all = events(journal);
      assertThat(all).hasSize(5);
      assertThat(all.get(1).after().schema().columns())
          .extracting(c -> c.name())
          .containsExactly("id", "v");
      assertThat(all.get(2).after().get("label")).isEqualTo("three");
      assertThat(all.get(2).after().get("v")).isEqualTo(3);
      assertThat(all.get(3).before().get("label")).isEqualTo("x");
      assertThat(all.get(3).after().get("v")).isEqualTo(20);
      assertThat(all.get(4).after().get("label")).isEqualTo("four");
    }
  }

  @Test
  void aCleanStopAndRestartWhileWritesContinueLosesAndDoublesNothing() throws Exception {
    db.exec("CREATE TABLE shop.m3 (id int PRIMARY KEY, v int)");
    RowguardConfig config = config("shop\\.m3");
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = db.connect();
                  Statement s = c.createStatement()) {
                for (int i = 1; i <= 600; i++) {
                  s.execute("INSERT INTO m3 (id, v) VALUES (" + i + ", 0)");
                  s.execute("UPDATE m3 SET v = 1 WHERE id = " + i);
                  if (i == 300) {
                    s.execute("ALTER TABLE m3 ADD COLUMN w int");
                  }
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
        assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
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
        assertThat(capture.failure()).isEmpty();
      }
      List<ChangeEvent> all = events(journal);
      assertThat(all).hasSize(1200);
      Map<String, Long> perKeyAndOp =
          all.stream()
              .collect(Collectors.groupingBy(e -> e.key() + e.op().name(), Collectors.counting()));
      assertThat(perKeyAndOp).hasSize(1200);
      Map<Integer, Integer> last = new HashMap<>();
      all.forEach(e -> last.put((Integer) e.after().get("id"), (Integer) e.after().get("v")));
      assertThat(last).hasSize(600).containsOnlyKeys(range(1, 600)).doesNotContainValue(0);
    }
  }

  /**
   * Zero dates are accepted by MariaDB's default sql_mode, and the binlog reader gives them as NULL
   * (the epoch in a NOT NULL column): the journal cannot hold them, so capture warns, naming the
   * columns, and says how to rule them out. (Replay never writes over one unseen: the live zero
   * date differs from the journal's NULL, a conflict; see MariaDbTypeMatrixIT.)
   */
  @Test
  void zeroDatesTheJournalCannotHoldAreWarnedOfWithTheColumnsAndTheFix() throws Exception {
    db.exec(
        "CREATE TABLE shop.zd (id int PRIMARY KEY, d date NULL, dt datetime NOT NULL, n int)",
        "CREATE TABLE shop.zd_none (id int PRIMARY KEY, n int)");
    RowguardConfig config = config("shop\\.zd");
    assertThat(io.rowguard.connectors.internal.mysql.BinlogPreflight.check(config).warnings())
        .singleElement()
        .asString()
        .contains("accepts zero dates")
        .contains("in shop.zd.d, shop.zd.dt.")
        .contains("NO_ZERO_DATE,NO_ZERO_IN_DATE");
    assertThat(
            io.rowguard.connectors.internal.mysql.BinlogPreflight.check(config("shop\\.zd_none"))
                .warnings())
        .isEmpty();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("INSERT INTO shop.zd VALUES (1, '0000-00-00', '0000-00-00 00:00:00', 1)");
      JournalAwait.caughtUp(config, journal);
      Row after =
          journal.tableChanges(TableId.of("shop", "zd"), 0, Long.MAX_VALUE).get(0).event().after();
      assertThat(after.get(after.schema().indexOf("d"))).as("a nullable zero date").isNull();
      assertThat(after.get(after.schema().indexOf("dt"))).as("a NOT NULL zero date").isEqualTo(0L);
    }
  }

  /**
   * InnoDB makes a foreign key action's changes itself, and the binlog never carries them: capture
   * warns, naming the key, so nobody trusts a history that stops there.
   */
  @Test
  void foreignKeyActionsTheBinlogDoesNotCarryAreWarnedOfByName() throws Exception {
    db.exec(
        "CREATE TABLE shop.fk_parent (id int PRIMARY KEY)",
        "CREATE TABLE shop.fk_child (id int PRIMARY KEY, parent int, CONSTRAINT fk_child_parent"
            + " FOREIGN KEY (parent) REFERENCES shop.fk_parent (id) ON DELETE CASCADE)",
        "INSERT INTO shop.fk_parent VALUES (1)",
        "INSERT INTO shop.fk_child VALUES (10, 1)");
    assertThat(
            io.rowguard.connectors.internal.mysql.BinlogPreflight.check(config("shop\\.fk_.*"))
                .warnings())
        .singleElement()
        .asString()
        .contains(
            "shop.fk_child.fk_child_parent (ON DELETE CASCADE, ON UPDATE RESTRICT from"
                + " shop.fk_parent)")
        .contains("never sees them");
    RowguardConfig config = config("shop\\.fk_.*");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("DELETE FROM shop.fk_parent WHERE id = 1");
      JournalAwait.caughtUp(config, journal);
      // the parent's delete is journaled, the cascade's is not: what the warning says
      assertThat(journal.tableChanges(TableId.of("shop", "fk_parent"), 0, Long.MAX_VALUE))
          .hasSize(2);
      assertThat(journal.tableChanges(TableId.of("shop", "fk_child"), 0, Long.MAX_VALUE))
          .hasSize(1);
    }
  }

  @Test
  void aMariaDbServerConfiguredAsMySqlIsRefusedInOneLineNamingTheRightConnector() {
    Map<String, String> p = db.configProperties(dir, "shop\\.m1", nextServerId());
    p.put("source.connector", "mysql");
    RowguardConfig config = RowguardConfig.of(dir.resolve("mysql.properties"), p, env -> null);
    assertThatThrownBy(() -> Capture.check(config))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("the server is MariaDB")
        .hasMessageContaining("set source.connector=mariadb");
    assertThatThrownBy(() -> SourceStatus.probe(config))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("set source.connector=mariadb");
  }

  private static Integer[] range(int from, int to) {
    Integer[] out = new Integer[to - from + 1];
    for (int i = from; i <= to; i++) {
      out[i - from] = i;
    }
    return out;
  }

  static List<ChangeEvent> events(Journal journal) {
    List<ChangeEvent> out = new ArrayList<>();
    journal.scan(1, e -> out.add(e.event()));
    return out;
  }
}
