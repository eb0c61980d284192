package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.connectors.BinlogServer;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Database;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant 2 on MariaDB and MySQL (a subclass each): a table of their types with the values that
 * break naive tools (the widest decimal, bigint unsigned max, bit(64), JSON text kept as typed,
 * enum and set, microsecond datetimes and timestamps written under a non-UTC session time zone,
 * year, binary strings with zero bytes, float and double extremes, utf8mb4, negative and long
 * times, a geometry with its SRID, a generated column), corrupted and put back through the
 * whole-table path, the row path and a backout: every column of every row, as the server's own
 * bytes, must equal the original. MySQL keeps JSON in its binary form, so there the JSON column is
 * the server's own text of it.
 */
abstract class BinlogTypeMatrix {
  static final String COLUMNS =
      "id int PRIMARY KEY, dc decimal(65,30), ub bigint unsigned, bt bit(64), js json,"
          + " en enum('sad','ok','happy'), st set('a','b','c'), dt datetime(6),"
          + " ts timestamp(6) NULL DEFAULT NULL, yr year, bn binary(4), vb varbinary(10), bl blob,"
          + " fl float, db double, tx text, vc varchar(20), ch char(4), da date, tm time(6),"
          + " ti tinyint, mi mediumint, g point, gen int AS (id * 2) VIRTUAL";

  static final String NAMES =
      "id, dc, ub, bt, js, en, st, dt, ts, yr, bn, vb, bl, fl, db, tx, vc, ch, da, tm, ti, mi, g";

  static final List<String> ROWS =
      List.of(
          "(1, '12345678901234567890123456789012345.123456789012345678901234567890',"
              + " 18446744073709551615, b'1000000000000000000000000000000000000000000000000000000000000001',"
              + " '{\"a\":  [1, 2.50, \"x\"]}', 'happy', 'a,c', '9999-12-31 23:59:59.999999',"
              + " '2038-01-19 08:44:07.999999', 2155, X'00FF0010', X'', X'DEADBEEF',"
              + " 1.17549e-38, 2.2250738585072014e-308, 'ünïcødé 😀 漢字', 'tab\\there', 'ab',"
              + " '1000-01-01', '-838:59:59.000000', -128, -8388608,"
              + " ST_GeomFromText('POINT(1.5 -2.5)', 4326))",
          "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
              + " NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
          "(3, '-0.000000000000000000000000000001', 0, b'0', '[]', 'sad', '',"
              + " '1000-01-01 00:00:00.000000', '1970-01-01 05:30:01.000001', 1901, X'00000000',"
              + " X'00', X'', -3.40282e38, 1e308, '', '', '', '9999-12-31', '838:59:58.999999', 127,"
              + " 8388607, ST_GeomFromText('POINT(0 0)'))",
          "(4, '0.5', 1, b'1', '\"str\"', 'ok', 'a,b,c', '1970-01-01 00:00:00.000000',"
              + " '2000-02-29 12:00:00.5', 2000, X'61626364', X'0000', REPEAT(X'AB', 5000), 0, -0.5,"
              + " 'back\\\\slash ''quote''', ' ', 'abcd', '2000-02-29', '00:00:00.000001', 0, 0,"
              + " ST_GeomFromText('POINT(-180 90)'))");

  /** The server under test: each subclass sets it before its tests. */
  static BinlogServer db;

  @TempDir Path dir;

  /** Every row as the server's bytes of each column, read under a non-UTC session time zone. */
  static List<String> rows() throws Exception {
    return rows("shop.matrix");
  }

  static List<String> rows(String table) throws Exception {
    List<String> exprs = new ArrayList<>();
    for (String n : (NAMES + ", gen").split(", ")) {
      exprs.add("COALESCE(HEX(CAST(" + n + " AS BINARY)), 'NULL')");
    }
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("SET time_zone = '+05:30'");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT CONCAT_WS('|', "
                  + String.join(", ", exprs)
                  + ") FROM "
                  + table
                  + " ORDER BY id")) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  static void exec(String... sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("SET time_zone = '+05:30'");
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Runs one statement in a transaction of its own; returns that transaction's GTID. */
  static String gtidOf(String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
      return db.lastGtid(s);
    }
  }

  static long micros() throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT UNIX_TIMESTAMP(NOW(6)) * 1000000")) {
      rs.next();
      return rs.getBigDecimal(1).longValue();
    }
  }

  static final String CORRUPT =
      "UPDATE shop.matrix SET dc = 7, ub = 7, bt = b'111', js = '7', en = 'ok', st = 'b',"
          + " dt = '2020-01-01', ts = '2020-01-01', yr = 2020, bn = X'07', vb = X'07', bl = X'07',"
          + " fl = 7, db = 7, tx = 'x', vc = 'x', ch = 'x', da = '2020-01-01', tm = '07:07',"
          + " ti = 7, mi = 7, g = ST_GeomFromText('POINT(7 7)')";

  @Test
  void everyValueOfEveryRowComesBackExactlyByTableByRowAndByBackout() throws Exception {
    exec(
        "CREATE TABLE shop.matrix (" + COLUMNS + ") DEFAULT CHARSET = utf8mb4",
        // half the rows from the snapshot, half from the binlog
        "INSERT INTO shop.matrix (" + NAMES + ") VALUES " + ROWS.get(0) + ", " + ROWS.get(1));
    RowguardConfig config = db.config(dir, "shop\\.matrix", 31);
    TableId matrix = TableId.of("shop", "matrix");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      exec("INSERT INTO shop.matrix (" + NAMES + ") VALUES " + ROWS.get(2) + ", " + ROWS.get(3));
      List<String> original = rows();
      assertThat(original).hasSize(4);

      // 1. the whole table, back to before a bad write; commit times are whole seconds, so the
      // time is a second of its own
      Thread.sleep(1_100);
      long t = micros();
      Thread.sleep(1_100);
      exec(
          CORRUPT + " WHERE id IN (1, 3)",
          "DELETE FROM shop.matrix WHERE id IN (2, 4)",
          "INSERT INTO shop.matrix (id) VALUES (9)");
      drain(config, journal);
      Planner planner = new Planner(journal, Clock.systemUTC());
      // a time inside the second of the bad write can't say what came before it: refused
      long badSecond =
          journal.tableChanges(matrix, t, Long.MAX_VALUE).get(0).event().commitMicros();
      String badTx = journal.tableChanges(matrix, t, Long.MAX_VALUE).get(0).event().txId();
      while (micros() < badSecond + 1_000_000) {
        Thread.sleep(50); // the second is over: a time in it is not in the future
      }
      if (badSecond % 1_000_000 == 0) { // MariaDB: dated to the second
        assertThatThrownBy(
                () -> planner.rollbackTable(matrix, new PointInTime.At(badSecond + 500_000)))
            .isInstanceOf(io.rowguard.core.InputException.class)
            .hasMessageContaining(badTx)
            .hasMessageContaining("--before-tx");
      } else { // MySQL: dated to the microsecond, so a time just before it is exact
        assertThat(planner.rollbackTable(matrix, new PointInTime.At(badSecond - 1)).changes())
            .hasSize(5);
      }
      RollbackPlan plan = planner.rollbackTable(matrix, new PointInTime.At(t));
      ApplyResult r = apply(config, plan, ConflictPolicy.ABORT);
      assertThat(r.conflicts()).isEmpty();
      assertThat(rows()).containsExactlyElementsOf(original);
      // the rollback's own writes are journaled and marked as the rollback
      drain(config, journal);
      assertThat(journal.tag(r.txId()).orElseThrow().rollback()).isEqualTo(plan.id());
      // the table as of t, exported from the journal as MySQL's SQL, loads back exactly
      StringWriter sql = new StringWriter();
      assertThat(
              new Exporter(journal, Clock.systemUTC(), SqlDialect.MYSQL)
                  .export(matrix, t, Exporter.Format.SQL, sql))
          .isEqualTo(4);
      List<String> statements = new ArrayList<>();
      statements.add("CREATE TABLE shop.matrix_copy AS SELECT * FROM shop.matrix LIMIT 0");
      for (String line : sql.toString().split("\n")) {
        statements.add(
            line.replace("INSERT INTO `shop`.`matrix` ", "INSERT INTO shop.matrix_copy "));
      }
      exec(statements.toArray(String[]::new));
      assertThat(rows("shop.matrix_copy")).containsExactlyElementsOf(original);

      // 2. two rows by key, after another bad write
      Thread.sleep(1_100);
      long t2 = micros();
      Thread.sleep(1_100);
      exec(CORRUPT + " WHERE id IN (1, 4)", "DELETE FROM shop.matrix WHERE id = 3");
      drain(config, journal);
      TableSchema schema = journal.latestSchema(matrix).orElseThrow();
      plan =
          planner.rollbackRows(
              matrix,
              List.of(
                  RowKey.parse("1", schema), RowKey.parse("3", schema), RowKey.parse("4", schema)),
              new PointInTime.At(t2));
      assertThat(apply(config, plan, ConflictPolicy.ABORT).conflicts()).isEmpty();
      assertThat(rows()).containsExactlyElementsOf(original);

      // 3. one bad transaction backed out cell by cell, with later work on other cells kept
      String bad;
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute(CORRUPT.replace(", g = ST_GeomFromText('POINT(7 7)')", "") + " WHERE id = 1");
        bad = db.lastGtid(s);
      }
      drain(config, journal);
      plan = planner.backout(List.of(bad), Granularity.CELL, ConflictPolicy.ABORT, false);
      assertThat(apply(config, plan, ConflictPolicy.ABORT).conflicts()).isEmpty();
      assertThat(rows()).containsExactlyElementsOf(original);
      assertThat(capture.failure()).isEmpty();
    }
  }

  @Test
  void aRowChangedSinceTheJournalsLastVersionIsAConflictAndNothingIsWritten() throws Exception {
    exec(
        "CREATE TABLE shop.c1 (id int PRIMARY KEY, name varchar(20)) COLLATE utf8mb4_general_ci",
        "INSERT INTO shop.c1 VALUES (1, 'alice'), (2, 'bob')");
    RowguardConfig config = db.config(dir, "shop\\.c1", 32);
    TableId c1 = TableId.of("shop", "c1");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      long t = micros();
      Thread.sleep(1_100);
      exec("UPDATE shop.c1 SET name = 'mallory'");
      drain(config, journal);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC()).rollbackTable(c1, new PointInTime.At(t));
      // a write the journal has not seen: a case-only change, equal under the table's collation
      capture.close();
      exec("UPDATE shop.c1 SET name = 'MALLORY' WHERE id = 2");
      ApplyResult r = apply(config, plan, ConflictPolicy.ABORT);
      assertThat(r.aborted()).isTrue();
      assertThat(r.conflicts()).extracting(ApplyResult.Conflict::key).hasSize(1);
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT name FROM shop.c1 ORDER BY id")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("mallory");
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("MALLORY");
      }
      // skip: the row that moved on keeps its value, the other goes back
      r = apply(config, plan, ConflictPolicy.SKIP);
      assertThat(r.conflicts()).hasSize(1);
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT name FROM shop.c1 ORDER BY id")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("alice");
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("MALLORY");
      }
    }
  }

  @Test
  void parentsAndChildrenAreWrittenInForeignKeyOrder() throws Exception {
    exec(
        "CREATE TABLE shop.customers (id int PRIMARY KEY, name varchar(20))",
        "CREATE TABLE shop.orders (id int PRIMARY KEY, customer int NOT NULL,"
            + " FOREIGN KEY (customer) REFERENCES shop.customers (id))",
        "INSERT INTO shop.customers VALUES (1, 'real')",
        "INSERT INTO shop.orders VALUES (10, 1), (11, 1)");
    RowguardConfig config = db.config(dir, "shop\\.(customers|orders)", 33);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      long t = micros();
      Thread.sleep(1_100);
      String loader;
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        // a test loader: a test customer, the real orders moved to it, the real customer gone
        c.setAutoCommit(false);
        s.execute("INSERT INTO shop.customers VALUES (2, 'test')");
        s.execute("UPDATE shop.orders SET customer = 2");
        s.execute("DELETE FROM shop.customers WHERE id = 1");
        c.commit();
        loader = db.lastGtid(s);
      }
      drain(config, journal);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .backout(List.of(loader), Granularity.CELL, ConflictPolicy.ABORT, false);
      ApplyResult r = apply(config, plan, ConflictPolicy.ABORT);
      assertThat(r.conflicts()).isEmpty();
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT (SELECT GROUP_CONCAT(id) FROM shop.customers),"
                      + " (SELECT GROUP_CONCAT(customer) FROM shop.orders)")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("1");
        assertThat(rs.getString(2)).isEqualTo("1,1");
      }
      assertThat(t).isPositive();
    }
  }

  @Test
  void rowsAForeignKeyActionRemovesWithThePlansRowsAreNamedInThePlan() throws Exception {
    exec(
        "CREATE TABLE shop.cp (id int PRIMARY KEY, k2 varchar(8))",
        "CREATE TABLE shop.cc (id int PRIMARY KEY, parent int,"
            + " CONSTRAINT cc_parent FOREIGN KEY (parent) REFERENCES shop.cp (id)"
            + " ON DELETE CASCADE)",
        "CREATE TABLE shop.cn (id int PRIMARY KEY, parent int,"
            + " CONSTRAINT cn_parent FOREIGN KEY (parent) REFERENCES shop.cp (id)"
            + " ON DELETE SET NULL)",
        "INSERT INTO shop.cp VALUES (1, 'a')");
    RowguardConfig config = db.config(dir, "shop\\.(cp|cc)", 34);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      String loader = gtidOf("INSERT INTO shop.cp VALUES (2, 'b')");
      // later work refers to the row the loader inserted; one of it the plan lists itself
      exec(
          "INSERT INTO shop.cc VALUES (20, 2), (21, 2), (10, 1)",
          "INSERT INTO shop.cn VALUES (30, 2)");
      drain(config, journal);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .backout(List.of(loader), Granularity.CELL, ConflictPolicy.ABORT, false);
      assertThat(plan.changes()).hasSize(1);
      List<String> effects;
      try (Connection c = Database.connectToApply(config)) {
        effects = Cascades.describe(c, plan);
      }
      assertThat(effects)
          .containsExactlyInAnyOrder(
              "foreign key cc_parent deletes 2 row(s) of shop.cc that the plan does not list,"
                  + " because it removes the rows of shop.cp they refer to (keys (20); (21))",
              "foreign key cn_parent sets parent to NULL in 1 row(s) of shop.cn that the plan"
                  + " does not list, because it removes the rows of shop.cp they refer to (keys"
                  + " (30))");
    }
  }

  /**
   * A zero date reaches the journal as NULL (the binlog reader's doing; capture warns of it), so a
   * row holding one differs from the journal's image of it: a rollback reports a conflict naming
   * the column and writes nothing, never the NULL over the zero date unseen.
   */
  @Test
  void aZeroDateTheJournalCannotHoldIsAConflictNeverOverwrittenUnseen() throws Exception {
    exec(
        "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION'", // MySQL's default refuses zero dates
        "CREATE TABLE shop.zd (id int PRIMARY KEY, d date NULL, n int)",
        "INSERT INTO shop.zd VALUES (1, '0000-00-00', 1)");
    RowguardConfig config = db.config(dir, "shop\\.zd", 35);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      assertThat(capture.awaitReady(Duration.ofSeconds(60))).isTrue();
      String bad = gtidOf("UPDATE shop.zd SET n = 2");
      drain(config, journal);
      RollbackPlan plan =
          new Planner(journal, Clock.systemUTC())
              .backout(List.of(bad), Granularity.ROW, ConflictPolicy.ABORT, false);
      ApplyResult r = apply(config, plan, ConflictPolicy.ABORT);
      assertThat(r.aborted()).isTrue();
      assertThat(r.conflicts())
          .singleElement()
          .extracting(ApplyResult.Conflict::reason)
          .asString()
          .endsWith("written now): d");
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT CAST(d AS CHAR), n FROM shop.zd")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("0000-00-00");
        assertThat(rs.getInt(2)).isEqualTo(2);
      }
    }
  }

  private static ApplyResult apply(RowguardConfig config, RollbackPlan plan, ConflictPolicy policy)
      throws Exception {
    try (Connection c = Database.connectToApply(config)) {
      return new PlanApplier(c).apply(plan, policy, "test", "matrix", PlanApplier.Progress.NONE);
    }
  }

  static void drain(RowguardConfig config, Journal journal) {
    JournalAwait.caughtUp(config, journal);
  }
}
