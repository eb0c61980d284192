package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture checks MariaDB and MySQL share (a subclass each, with its own server's checks besides):
 * the preflight's refusals with the statements to run, a least-privilege user, a statement comment
 * naming who made a transaction, and freshness through transactions of tables not captured.
 */
abstract class BinlogCaptureChecks {
  /** The server under test: each subclass sets it before its tests. */
  static BinlogServer db;

  @TempDir Path dir;

  private static int serverIds = 1000;

  RowguardConfig config(String tables) {
    return db.config(dir, tables, ++serverIds);
  }

  int nextServerId() {
    return ++serverIds;
  }

  /** The privilege that lets a replica read the binlog's state, as this server names it. */
  abstract String monitorPrivilege();

  @Test
  void aServerWithoutRowImagesOrWithoutPrimaryKeysIsRefusedWithTheStatementsToRun()
      throws Exception {
    db.exec("CREATE TABLE shop.m4 (id int, v int)");
    db.exec("SET GLOBAL binlog_row_image = 'MINIMAL'");
    try {
      RowguardConfig config = config("shop\\.m4");
      assertThatThrownBy(() -> Capture.check(config))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("SET GLOBAL binlog_row_image = 'FULL';")
          .hasMessageContaining("table shop.m4 has no primary key");
    } finally {
      db.exec("SET GLOBAL binlog_row_image = 'FULL'");
    }
  }

  @Test
  void aLeastPrivilegeUserCapturesAndOneMissingAGrantIsToldWhichToRun() throws Exception {
    db.exec("CREATE TABLE shop.m5 (id int PRIMARY KEY, v int)");
    db.createCaptureUser("guard", "secret");
    db.exec(
        "CREATE USER 'weak'@'%' IDENTIFIED BY 'secret'", "GRANT SELECT ON shop.* TO 'weak'@'%'");
    Map<String, String> weak = db.configProperties(dir, "shop\\.m5", nextServerId());
    weak.put("source.database.user", "weak");
    weak.put("source.database.password", "secret");
    RowguardConfig weakConfig =
        RowguardConfig.of(dir.resolve("weak.properties"), weak, env -> null);
    assertThatThrownBy(() -> Capture.check(weakConfig))
        .isInstanceOf(InputException.class)
        .hasMessageContaining(
            "user weak lacks REPLICATION SLAVE, " + monitorPrivilege() + ", RELOAD");

    Map<String, String> guard = db.configProperties(dir, "shop\\.m5", nextServerId());
    guard.put("source.database.user", "guard");
    guard.put("source.database.password", "secret");
    RowguardConfig config = RowguardConfig.of(dir.resolve("guard.properties"), guard, env -> null);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("INSERT INTO shop.m5 VALUES (1, 1)");
      JournalAwait.entries(journal, 1);
      // status as that user: where the server's binlog ends (SHOW BINARY LOG STATUS on MySQL)
      SourceStatus status = SourceStatus.probe(config);
      assertThat(status.error()).isEmpty();
      assertThat(status.serverLsn()).startsWith("binlog.");
    }
  }

  @Test
  void aStatementCommentNamesWhoMadeTheTransaction() throws Exception {
    db.exec("CREATE TABLE shop.m6 (id int PRIMARY KEY, v int)");
    RowguardConfig config = config("shop\\.m6");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      String tagged;
      String plain;
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.execute("INSERT INTO m6 VALUES (1, 1)");
        s.execute("/* rowguard:{\"actor\":\"alice\",\"reason\":\"INC-7\"} */ UPDATE m6 SET v = 2");
        c.commit();
        tagged = db.lastGtid(s);
        s.execute("UPDATE m6 SET v = 3");
        c.commit();
        plain = db.lastGtid(s);
      }
      JournalAwait.entries(journal, 3);
      assertThat(journal.tag(tagged).orElseThrow().actor()).isEqualTo("alice");
      assertThat(journal.tag(tagged).orElseThrow().reason()).isEqualTo("INC-7");
      assertThat(journal.tag(plain)).isEmpty();
    }
  }

  @Test
  void aJournalIsFreshWhileCaptureKeepsUpEvenWhenOnlyOtherTablesAreWrittenAndStaleOnceItStops()
      throws Exception {
    db.exec(
        "CREATE TABLE shop.m7 (id int PRIMARY KEY, v int)",
        "CREATE TABLE shop.m7_other (id int PRIMARY KEY)");
    RowguardConfig config = config("shop\\.m7");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      db.exec("INSERT INTO shop.m7 VALUES (1, 1)");
      JournalAwait.entries(journal, 1);
      // the server's last transactions touch no captured table: capture still passes them
      db.exec("INSERT INTO shop.m7_other VALUES (1)", "INSERT INTO shop.m7_other VALUES (2)");
      try (Journal reader = Journal.openReader(config.journalDir())) {
        Freshness f = Freshness.await(config, reader, Duration.ofSeconds(20), line -> {});
        assertThat(f.fresh()).as(f.toString()).isTrue();
        assertThat(f.waited()).isLessThan(Duration.ofSeconds(5));
      }
    }
    db.exec("INSERT INTO shop.m7 VALUES (2, 2)");
    List<String> progress = new ArrayList<>();
    try (Journal reader = Journal.openReader(config.journalDir())) {
      Freshness f = Freshness.await(config, reader, Duration.ofMillis(1_500), progress::add);
      assertThat(f.fresh()).isFalse();
      assertThat(f.behind()).isEqualTo(1);
      assertThat(progress).anyMatch(line -> line.contains("1 transactions behind"));
    }
  }
}
