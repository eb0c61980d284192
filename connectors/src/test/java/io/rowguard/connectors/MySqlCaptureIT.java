package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Capture from a real MySQL binlog (MySQL 8.4 and later: {@code SHOW BINARY LOG STATUS}, {@code
 * caching_sha2_password} logins, binary JSON, rows-query events, {@code @@gtid_executed}).
 */
@ExtendWith(MySqlExtension.class)
class MySqlCaptureIT extends BinlogCaptureChecks {
  private static MySqlFixture mysql;

  @BeforeAll
  static void mySql(MySqlFixture shared) {
    mysql = shared;
    db = shared;
  }

  @Override
  String monitorPrivilege() {
    return "REPLICATION CLIENT";
  }

  @Test
  void snapshotThenEveryKindOfChangeIsJournaledWithItsGtidAndJsonExactly() throws Exception {
    db.exec(
        "CREATE TABLE shop.y1 (id int PRIMARY KEY, note varchar(40), doc json)",
        "INSERT INTO shop.y1 VALUES (1, 'one', '{\"a\": [1, 2.5, \"x\"]}'), (2, 'two', NULL)");
    RowguardConfig config = config("shop\\.y1");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 2);
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO y1 VALUES (3, 'three', '[true, null]')");
        s.execute("UPDATE y1 SET note = 'uno', doc = JSON_SET(doc, '$.b', 'c') WHERE id = 1");
        s.execute("DELETE FROM y1 WHERE id = 2");
        c.commit();
      }
      JournalAwait.caughtUp(config, journal);
      List<ChangeEvent> all = MariaDbCaptureIT.events(journal);
      assertThat(all)
          .extracting(ChangeEvent::op)
          .containsExactly(Op.READ, Op.READ, Op.INSERT, Op.UPDATE, Op.DELETE);
      ChangeEvent update = all.get(3);
      assertThat(update.before().get("note")).isEqualTo("one");
      assertThat(String.valueOf(update.after().get("doc"))).contains("\"b\"").contains("2.5");
      // MySQL 8.0.1 and later date a commit to the microsecond (the GTID event's commit
      // timestamp), unlike MariaDB's whole seconds
      assertThat(update.commitMicros() % 1_000_000).isNotZero();
      // one transaction, named by its GTID (server uuid:number), in order
      String gtid = update.txId();
      assertThat(gtid).matches("[0-9a-f-]{36}:\\d+");
      List<JournalEntry> tx = journal.transaction(gtid);
      assertThat(tx)
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.UPDATE, Op.DELETE);
      assertThat(tx.get(0).event().position()).startsWith("binlog.");
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aServerKilledMidStreamLosesAndDoublesNothing() throws Exception {
    db.exec("CREATE TABLE shop.y6 (id int PRIMARY KEY, v int)");
    RowguardConfig config = config("shop\\.y6");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      for (int i = 1; i <= 100; i++) {
        db.exec("INSERT INTO shop.y6 VALUES (" + i + ", 0)");
      }
      mysql.crashAndRestart();
      for (int i = 101; i <= 200; i++) {
        db.exec("INSERT INTO shop.y6 VALUES (" + i + ", 0)");
      }
      JournalAwait.entries(journal, 200);
      JournalAwait.caughtUp(config, journal);
      List<ChangeEvent> all = MariaDbCaptureIT.events(journal);
      assertThat(all).extracting(e -> e.after().get("id")).doesNotHaveDuplicates().hasSize(200);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aMySqlServerConfiguredAsMariaDbIsRefusedNamingTheRightConnector() {
    Map<String, String> p = db.configProperties(dir, "shop\\.y1", nextServerId());
    p.put("source.connector", "mariadb");
    RowguardConfig config = RowguardConfig.of(dir.resolve("m.properties"), p, env -> null);
    assertThatThrownBy(() -> Capture.check(config))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("set source.connector=mysql");
  }
}
