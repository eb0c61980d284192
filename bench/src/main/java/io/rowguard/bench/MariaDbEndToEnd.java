package io.rowguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Database;
import io.rowguard.connectors.DebeziumBaseline;
import io.rowguard.connectors.Freshness;
import io.rowguard.connectors.LocalMariaDb;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * {@code rowguard-bench e2e-mariadb}: the MariaDB figures, each against a baseline measured in the
 * same run on the same private server. Capture: a fresh server's whole binlog (the table's DDL and
 * {@code --changes} changes) drained by rowguard and by Debezium's own engine with a consumer that
 * only counts, both from the binlog's beginning ({@code snapshot.mode=never}), so both read the
 * same events. Rollback: a whole table of {@code --rollback-rows} rows put back after a bad write,
 * against a raw stage-and-upsert of the same rows (temporary table, multi-row inserts, {@code
 * INSERT … SELECT … ON DUPLICATE KEY UPDATE}).
 */
final class MariaDbEndToEnd {
  private final Map<String, String> a;
  private final PrintStream out;
  private final Map<String, Object> results = new LinkedHashMap<>();

  MariaDbEndToEnd(Map<String, String> a, PrintStream out) {
    this.a = a;
    this.out = out;
  }

  static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    System.exit(new MariaDbEndToEnd(a, System.out).run() ? 0 : 1);
  }

  private int runs() {
    return Integer.parseInt(a.getOrDefault("runs", "3"));
  }

  boolean run() throws Exception {
    Path work = Files.createTempDirectory("rowguard-bench-mariadb-");
    out.printf(
        "rowguard end-to-end benchmark on MariaDB: %d cores, %d MB max heap; medians of %d runs"
            + " after a warm-up%n%n",
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, runs());
    boolean met = true;
    String only = a.getOrDefault("only", "capture,rollback");
    try {
      if (only.contains("capture")) {
        met &= capture(work);
      }
      if (only.contains("rollback")) {
        met &= rollback(work);
      }
    } finally {
      EndToEnd.deleteTree(work);
    }
    if (a.containsKey("json")) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(Path.of(a.get("json")).toFile(), results);
    }
    return met;
  }

  private boolean capture(Path work) throws Exception {
    long changes = Long.parseLong(a.getOrDefault("changes", "200000"));
    List<Double> ours = new ArrayList<>();
    List<Double> noop = new ArrayList<>();
    for (int run = 0; run <= runs(); run++) {
      try (LocalMariaDb db = LocalMariaDb.start()) {
        try (Connection c = db.connect("")) {
          exec(
              c,
              "CREATE DATABASE bench",
              "CREATE TABLE bench.cap (id bigint PRIMARY KEY, a int, b varchar(64),"
                  + " c decimal(12,2), d datetime(6))");
          fill(c, changes);
        }
        Path dir = work.resolve("cap" + run);
        RowguardConfig config = config(db, dir.resolve("journal"), "bench\\.cap", 100 + run);
        RowguardConfig base = config(db, dir.resolve("base"), "bench\\.cap", 200 + run);
        // in turns: neither always runs on the JIT the other warmed
        double n = run % 2 == 1 ? noop(base, changes) : 0;
        double r;
        try (Journal journal = Journal.openWriter(config.journalDir());
            Capture capture = Capture.start(config, journal)) {
          r = drain(changes, journal::changeCount);
        }
        if (run % 2 == 0) {
          n = noop(base, changes);
        }
        out.printf(
            "  capture run %d: rowguard %,.0f events/s, Debezium no-op %,.0f events/s%s%n",
            run, r, n, run == 0 ? " (warm-up)" : "");
        if (run > 0) {
          ours.add(r);
          noop.add(n);
        }
      }
    }
    double ratio = EndToEnd.median(ours) / EndToEnd.median(noop);
    out.printf(
        "capture: rowguard %,.0f events/s = %.2fx Debezium's no-op consumer (%,.0f/s); goal"
            + " >= 0.9x%n%n",
        EndToEnd.median(ours), ratio, EndToEnd.median(noop));
    results.put("captureEventsPerSecond", EndToEnd.median(ours));
    results.put("captureNoopEventsPerSecond", EndToEnd.median(noop));
    results.put("captureRatio", ratio);
    return ratio >= 0.9;
  }

  private static double noop(RowguardConfig base, long changes) throws Exception {
    try (DebeziumBaseline b = DebeziumBaseline.start(base, DebeziumBaseline.Format.CONNECT)) {
      return drain(changes, b::changes);
    }
  }

  /** Half inserts, half updates, in transactions of 1,000 rows, multi-row statements. */
  private static void fill(Connection c, long changes) throws SQLException {
    long rows = changes / 2;
    try (Statement s = c.createStatement()) {
      for (long from = 1; from <= rows; from += 1000) {
        StringBuilder sql = new StringBuilder("INSERT INTO bench.cap (id, a, b, c, d) VALUES ");
        for (long i = from; i < Math.min(rows + 1, from + 1000); i++) {
          sql.append(i == from ? "" : ",")
              .append('(')
              .append(i)
              .append(", ")
              .append(i % 97)
              .append(", 'row ")
              .append(i)
              .append("', ")
              .append(i % 10_000)
              .append(".25, '2026-01-01 00:00:00.123456')");
        }
        s.execute(sql.toString());
        s.execute(
            "UPDATE bench.cap SET a = a + 1, b = CONCAT(b, '!') WHERE id BETWEEN "
                + from
                + " AND "
                + (from + 999));
      }
    }
  }

  private static double drain(long changes, LongSupplier count) throws InterruptedException {
    long t0 = System.nanoTime();
    long deadline = t0 + Duration.ofMinutes(10).toNanos();
    while (count.getAsLong() < changes) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "drained " + count.getAsLong() + " of " + changes + " changes in 10 minutes");
      }
      Thread.sleep(5);
    }
    return changes / ((System.nanoTime() - t0) / 1e9);
  }

  private boolean rollback(Path work) throws Exception {
    int rows = Integer.parseInt(a.getOrDefault("rollback-rows", "100000"));
    List<Double> ours = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    try (LocalMariaDb db = LocalMariaDb.start()) {
      try (Connection c = db.connect("")) {
        exec(
            c,
            "CREATE DATABASE bench",
            "CREATE TABLE bench.rb (id int PRIMARY KEY, status varchar(16), amount"
                + " decimal(12,2))",
            "INSERT INTO bench.rb SELECT seq, 'ok', seq * 1.25 FROM bench.seq_1_to_" + rows);
      }
      RowguardConfig config = config(db, work.resolve("rb"), "bench\\.rb", 300);
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        if (!capture.awaitReady(Duration.ofMinutes(5))) {
          throw new IllegalStateException("capture did not take its snapshot");
        }
        for (int run = 0; run <= runs(); run++) {
          String good = checksum(db);
          // binlog times are whole seconds: the target is a second of its own
          Thread.sleep(1_100);
          long t = micros(db);
          Thread.sleep(1_100);
          try (Connection c = db.connect("")) {
            exec(c, "UPDATE bench.rb SET status = 'bad" + run + "', amount = 0");
          }
          caughtUp(config, journal);
          long t0 = System.nanoTime();
          RollbackPlan plan =
              new Planner(journal, Clock.systemUTC())
                  .rollbackTable(TableId.of("bench", "rb"), new PointInTime.At(t));
          long planned = System.nanoTime();
          ApplyResult result;
          try (Connection c = Database.connectToApply(config)) {
            result =
                new PlanApplier(c)
                    .apply(plan, ConflictPolicy.ABORT, "bench", "", PlanApplier.Progress.NONE);
          }
          long t1 = System.nanoTime();
          if (!checksum(db).equals(good) || !result.conflicts().isEmpty()) {
            throw new IllegalStateException("the rollback did not restore the table");
          }
          try (Connection c = db.connect("")) {
            exec(c, "UPDATE bench.rb SET status = 'bad', amount = 0");
            long r0 = System.nanoTime();
            rawUpsert(c, rows);
            long r1 = System.nanoTime();
            if (run > 0) {
              ours.add(rows / ((t1 - t0) / 1e9));
              raw.add(rows / ((r1 - r0) / 1e9));
            }
            out.printf(
                "  rollback run %d: rowguard %,.0f rows/s (plan %d ms, apply %d ms), raw upsert"
                    + " %,.0f rows/s%s%n",
                run,
                rows / ((t1 - t0) / 1e9),
                (planned - t0) / 1_000_000,
                (t1 - planned) / 1_000_000,
                rows / ((r1 - r0) / 1e9),
                run == 0 ? " (warm-up)" : "");
          }
          caughtUp(config, journal);
        }
      }
    }
    double ratio = EndToEnd.median(ours) / EndToEnd.median(raw);
    out.printf(
        "rollback of a %,d-row table: %,.0f rows/s = %.2fx the raw stage-and-upsert (%,.0f"
            + " rows/s); goal >= 0.7x%n%n",
        rows, EndToEnd.median(ours), ratio, EndToEnd.median(raw));
    results.put("rollbackRowsPerSecond", EndToEnd.median(ours));
    results.put("rollbackRawRowsPerSecond", EndToEnd.median(raw));
    results.put("rollbackRatio", ratio);
    return ratio >= 0.7;
  }

  /** What a hand-written repair does: stage the rows, then one upsert, in one transaction. */
  private static void rawUpsert(Connection c, int rows) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TEMPORARY TABLE bench.fix (id int, status varchar(16), amount decimal(12,2))");
      for (int from = 1; from <= rows; from += 1000) {
        StringBuilder sql = new StringBuilder("INSERT INTO bench.fix VALUES ");
        for (int i = from; i < Math.min(rows + 1, from + 1000); i++) {
          sql.append(i == from ? "" : ",")
              .append('(')
              .append(i)
              .append(", 'ok', ")
              .append(new java.math.BigDecimal(i).multiply(new java.math.BigDecimal("1.25")))
              .append(')');
        }
        s.execute(sql.toString());
      }
      s.execute(
          "INSERT INTO bench.rb (id, status, amount) SELECT id, status, amount FROM bench.fix"
              + " ON DUPLICATE KEY UPDATE status = VALUES(status), amount = VALUES(amount)");
      s.execute("DROP TEMPORARY TABLE bench.fix");
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
  }

  private static String checksum(LocalMariaDb db) throws SQLException {
    try (Connection c = db.connect("");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', id, status, amount))) FROM bench.rb")) {
      rs.next();
      return rs.getString(1) + "/" + rs.getString(2);
    }
  }

  private static long micros(LocalMariaDb db) throws SQLException {
    try (Connection c = db.connect("");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT UNIX_TIMESTAMP(NOW(6)) * 1000000")) {
      rs.next();
      return rs.getBigDecimal(1).longValue();
    }
  }

  private static void caughtUp(RowguardConfig config, Journal journal) {
    if (!Freshness.await(config, journal, Duration.ofMinutes(5), line -> {}).fresh()) {
      throw new IllegalStateException("capture did not catch up");
    }
  }

  private static RowguardConfig config(LocalMariaDb db, Path journal, String tables, int serverId) {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "mariadb");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(db.port()));
    p.put("source.database.user", "root");
    p.put("source.database.password", "");
    p.put("source.database.include.list", "bench");
    p.put("source.table.include.list", tables);
    p.put("source.database.server.id", Integer.toString(serverId));
    // capture: the whole binlog from its beginning; the rollback's table: a snapshot first
    p.put("source.snapshot.mode", tables.endsWith("cap") ? "never" : "initial");
    p.put("journal.dir", journal.toString());
    return RowguardConfig.of(journal.resolveSibling("bench.properties"), p, e -> null);
  }

  private static void exec(Connection c, String... sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }
}
