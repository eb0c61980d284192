package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Database;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.MySqlExtension;
import io.rowguard.connectors.MySqlFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * MySQL end to end on a real server ({@link MySqlFixture}: a private {@code mysqld} from the root
 * {@code .ci/mysql-root} builds, else {@code mysql:8.4} where a Docker engine runs, else skipped,
 * saying so): capture with GTIDs, a bad write found and undone by a whole-table rollback and by a
 * backout while later work is kept, the checked write refusing a row changed since, and an export
 * that loads back.
 */
@ExtendWith(MySqlExtension.class)
class MySqlIT {
  static MySqlFixture mysql;

  @TempDir Path dir;

  @BeforeAll
  static void mySql(MySqlFixture shared) {
    mysql = shared;
  }

  private RowguardConfig config(String table) {
    return RowguardConfig.of(
        dir.resolve(table + ".properties"),
        mysql.configProperties(dir.resolve(table), "shop\\." + table, 4711),
        env -> null);
  }

  private static Connection connect() throws Exception {
    return mysql.connect();
  }

  private static void exec(String... sql) throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private static List<String> rows(String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT CONCAT_WS('|', id, HEX(CAST(status AS BINARY)), amount, HEX(payload),"
                    + " DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), CAST(doc AS CHAR)) FROM "
                    + table
                    + " ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private static long micros() throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT UNIX_TIMESTAMP(NOW(6)) * 1000000")) {
      rs.next();
      return rs.getBigDecimal(1).longValue();
    }
  }

  @Test
  void aBadWriteIsRolledBackAndBackedOutExactlyOnMySql() throws Exception {
    exec(
        "CREATE TABLE shop.sales (id int PRIMARY KEY, status varchar(20), amount decimal(12,2),"
            + " payload varbinary(16), at datetime(6), doc json)",
        "INSERT INTO shop.sales VALUES (1, 'paid', 10.50, X'00ff', '2026-01-01 10:00:00.123456',"
            + " '{\"a\": 1}'), (2, 'new', 20.00, NULL, NULL, NULL)");
    RowguardConfig config = config("sales");
    TableId orders = TableId.of("shop", "sales");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(120))).isTrue();
      exec("INSERT INTO shop.sales VALUES (3, 'shipped', 30.00, X'01', NOW(6), '[1, 2]')");
      List<String> original = rows("shop.sales");
      Thread.sleep(1_100);
      long t = micros();
      Thread.sleep(1_100);
      exec(
          "UPDATE shop.sales SET status = 'TEST', amount = 0",
          "DELETE FROM shop.sales WHERE id = 2");
      JournalAwait.caughtUp(config, journal);
      Planner planner = new Planner(journal, Clock.systemUTC());
      RollbackPlan plan = planner.rollbackTable(orders, new PointInTime.At(t));
      try (Connection c = Database.connectToApply(config)) {
        ApplyResult r =
            new PlanApplier(c)
                .apply(plan, ConflictPolicy.ABORT, "t", "mysql", PlanApplier.Progress.NONE);
        assertThat(r.conflicts()).isEmpty();
      }
      assertThat(rows("shop.sales")).containsExactlyElementsOf(original);

      // a bad transaction backed out cell by cell while later work on other cells is kept
      exec("UPDATE shop.sales SET status = 'BAD' WHERE id IN (1, 3)");
      exec("UPDATE shop.sales SET amount = 99.99 WHERE id = 1");
      JournalAwait.caughtUp(config, journal);
      String badTx =
          journal.tableChanges(orders, 0, Long.MAX_VALUE).stream()
              .filter(
                  e ->
                      e.event().after() != null
                          && "BAD"
                              .equals(
                                  e.event()
                                      .after()
                                      .get(e.event().after().schema().indexOf("status"))))
              .findFirst()
              .orElseThrow()
              .event()
              .txId();
      RollbackPlan backout =
          planner.backout(List.of(badTx), Granularity.CELL, ConflictPolicy.ABORT, false);
      try (Connection c = Database.connectToApply(config)) {
        assertThat(
                new PlanApplier(c)
                    .apply(backout, ConflictPolicy.ABORT, "t", "mysql", PlanApplier.Progress.NONE)
                    .conflicts())
            .isEmpty();
      }
      assertThat(rows("shop.sales").get(0)).contains("|99.99|").doesNotContain(hex("BAD"));

      // an export of the table as of t loads back as it was
      StringWriter sql = new StringWriter();
      new Exporter(journal, Clock.systemUTC(), SqlDialect.MYSQL)
          .export(orders, t, Exporter.Format.SQL, sql);
      List<String> load = new ArrayList<>();
      load.add("CREATE TABLE shop.sales_copy LIKE shop.sales");
      for (String line : sql.toString().split("\n")) {
        load.add(line.replace("INSERT INTO `shop`.`sales` ", "INSERT INTO shop.sales_copy "));
      }
      exec(load.toArray(String[]::new));
      assertThat(rows("shop.sales_copy")).containsExactlyElementsOf(original);
      assertThat(capture.failure()).isEmpty();
    }
  }

  private static String hex(String s) {
    return java.util.HexFormat.of().withUpperCase().formatHex(s.getBytes());
  }
}
