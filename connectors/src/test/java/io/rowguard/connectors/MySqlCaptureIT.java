package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture from a real MySQL binlog (MySQL 8.4 and later: {@code SHOW BINARY LOG STATUS}, {@code
 * caching_sha2_password} logins, binary JSON, rows-query events, {@code @@gtid_executed}).
 */
class MySqlCaptureIT {
  static MySqlFixture db;

  @BeforeAll
  static void mySql() {
    db = MySqlFixture.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  @TempDir Path dir;

  private static int serverIds = 2000;

  private RowguardConfig config(String tables) {
    return db.config(dir, tables, ++serverIds);
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
  void aLeastPrivilegeUserCapturesAndOneMissingAGrantIsToldWhichToRun() throws Exception {
    db.exec("CREATE TABLE shop.y2 (id int PRIMARY KEY, v int)");
    db.createCaptureUser("guard", "secret");
    db.exec(
        "CREATE USER 'weak'@'%' IDENTIFIED BY 'secret'", "GRANT SELECT ON shop.* TO 'weak'@'%'");
    Map<String, String> weak = db.configProperties(dir, "shop\\.y2", ++serverIds);
    weak.put("source.database.user", "weak");
    weak.put("source.database.password", "secret");
    RowguardConfig weakConfig =
        RowguardConfig.of(dir.resolve("weak.properties"), weak, env -> null);
    assertThatThrownBy(() -> Capture.check(weakConfig))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("user weak lacks REPLICATION SLAVE, REPLICATION CLIENT, RELOAD");

    Map<String, String> guard = db.configProperties(dir, "shop\\.y2", ++serverIds);
    guard.put("source.database.user", "guard");
    guard.put("source.database.password", "secret");
    RowguardConfig config = RowguardConfig.of(dir.resolve("guard.properties"), guard, env -> null);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("INSERT INTO shop.y2 VALUES (1, 1)");
      JournalAwait.entries(journal, 1);
      SourceStatus status = SourceStatus.probe(config);
      assertThat(status.error()).isEmpty();
      assertThat(status.serverLsn()).startsWith("binlog.");
    }
  }

  @Test
  void aServerWithoutFullRowImagesOrATableWithoutPrimaryKeyIsRefusedWithTheStatementsToRun()
      throws Exception {
    db.exec("CREATE TABLE shop.y3 (id int, v int)");
    db.exec("SET GLOBAL binlog_row_image = 'MINIMAL'");
    try {
      assertThatThrownBy(() -> Capture.check(config("shop\\.y3")))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("SET GLOBAL binlog_row_image = 'FULL';")
          .hasMessageContaining("table shop.y3 has no primary key");
    } finally {
      db.exec("SET GLOBAL binlog_row_image = 'FULL'");
    }
  }

  @Test
  void aStatementCommentInTheRowsQueryEventNamesWhoMadeTheTransaction() throws Exception {
    db.exec("CREATE TABLE shop.y4 (id int PRIMARY KEY, v int)");
    RowguardConfig config = config("shop\\.y4");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec(
          "/* rowguard:{\"actor\":\"alice\",\"reason\":\"INC-7\"} */ INSERT INTO shop.y4 VALUES"
              + " (1, 1)",
          "UPDATE shop.y4 SET v = 2");
      JournalAwait.caughtUp(config, journal);
      List<ChangeEvent> all = MariaDbCaptureIT.events(journal);
      assertThat(all).hasSize(2);
      assertThat(journal.tag(all.get(0).txId()).orElseThrow().actor()).isEqualTo("alice");
      assertThat(journal.tag(all.get(1).txId())).isEmpty();
    }
  }

  @Test
  void freshWhileCaptureKeepsUpAndStaleByTransactionsOnceItStops() throws Exception {
    db.exec(
        "CREATE TABLE shop.y5 (id int PRIMARY KEY)",
        "CREATE TABLE shop.y5_other (id int PRIMARY KEY)");
    RowguardConfig config = config("shop\\.y5");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("INSERT INTO shop.y5 VALUES (1)", "INSERT INTO shop.y5_other VALUES (1)");
      try (Journal reader = Journal.openReader(config.journalDir())) {
        Freshness f = Freshness.await(config, reader, Duration.ofSeconds(20), line -> {});
        assertThat(f.fresh()).as(f.toString()).isTrue();
      }
    }
    db.exec("INSERT INTO shop.y5 VALUES (2)", "INSERT INTO shop.y5 VALUES (3)");
    try (Journal reader = Journal.openReader(config.journalDir())) {
      Freshness f = Freshness.await(config, reader, Duration.ofMillis(1_500), line -> {});
      assertThat(f.fresh()).isFalse();
      assertThat(f.behind()).isEqualTo(2);
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
      db.crashAndRestart();
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
    Map<String, String> p = db.configProperties(dir, "shop\\.y1", ++serverIds);
    p.put("source.connector", "mariadb");
    RowguardConfig config = RowguardConfig.of(dir.resolve("m.properties"), p, env -> null);
    assertThatThrownBy(() -> Capture.check(config))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("set source.connector=mysql");
  }
}
