package io.rowguard.replay;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import java.io.StringReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.PGConnection;

/**
 * Whole-table rollback against the fastest way to write the same rows by hand: COPY into a
 * temporary table, then one upsert. Run with
 *
 * <pre>mvn -B verify -pl replay -Dit.test=RollbackThroughputIT -Drowguard.bench=true</pre>
 */
@EnabledIfSystemProperty(named = "rowguard.bench", matches = "true")
class RollbackThroughputIT {
  static final int ROWS = Integer.getInteger("rowguard.bench.rows", 100_000);
  static final int RUNS = Integer.getInteger("rowguard.bench.runs", 3);

  @TempDir Path dir;

  @Test
  void rollbackKeepsUpWithAHandWrittenUpsert() throws Exception {
    try (PostgresFixture pg = PostgresFixture.start()) {
      pg.exec(
          "CREATE TABLE bench (id int PRIMARY KEY, status text, amount numeric(12,2), note text,"
              + " at timestamptz)",
          "ALTER TABLE bench REPLICA IDENTITY FULL",
          "INSERT INTO bench SELECT g, 'ok', g * 1.25, 'note ' || g, now() FROM generate_series(1, "
              + ROWS
              + ") g");
      RowguardConfig config = pg.config(dir, "public.bench", "bench");
      List<Double> ours = new ArrayList<>();
      List<Double> oursApply = new ArrayList<>();
      List<Double> raw = new ArrayList<>();
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        TypeMatrixIT.drain(pg, config, journal, ROWS);
        String good = checksum(pg);
        long t = ReplayIT.micros(pg);
        for (int run = 0; run <= RUNS; run++) {
          pg.exec("UPDATE bench SET status = 'bad" + run + "', amount = 0");
          drain(pg, config);
          long t0 = System.nanoTime();
          RollbackPlan plan =
              new Planner(journal, Clock.systemUTC())
                  .rollbackTable(TableId.of("public", "bench"), new PointInTime.At(t));
          long t1 = System.nanoTime();
          ApplyResult result;
          try (Connection c = pg.connect()) {
            result =
                new PlanApplier(c)
                    .apply(plan, ConflictPolicy.ABORT, "bench", "", PlanApplier.Progress.NONE);
          }
          long t2 = System.nanoTime();
          if (!checksum(pg).equals(good)) {
            throw new AssertionError(
                "rollback did not restore the table: "
                    + plan.counts()
                    + " "
                    + result.applied()
                    + " conflicts "
                    + result.conflicts().size()
                    + (result.conflicts().isEmpty() ? "" : " " + result.conflicts().get(0)));
          }
          pg.exec("UPDATE bench SET status = 'bad', amount = 0");
          drain(pg, config);
          long r0 = System.nanoTime();
          rawUpsert(pg);
          long r1 = System.nanoTime();
          if (run > 0) { // run 0 warms up
            ours.add(ROWS / ((t2 - t0) / 1e9));
            oursApply.add(ROWS / ((t2 - t1) / 1e9));
            raw.add(ROWS / ((r1 - r0) / 1e9));
          }
          drain(pg, config);
        }
      }
      double m = median(ours);
      double r = median(raw);
      System.out.printf(
          "%nwhole-table rollback of %,d rows, median of %d runs (2 cores, embedded PostgreSQL 17)%n"
              + "  rowguard plan + apply            %,10.0f rows/s  %s%n"
              + "  rowguard apply only              %,10.0f rows/s  %s%n"
              + "  raw COPY -> temp -> upsert       %,10.0f rows/s  %s%n"
              + "  ratio (plan + apply / raw)       %10.2f x%n%n",
          ROWS, RUNS, m, ours, median(oursApply), oursApply, r, raw, m / r);
    }
  }

  /** What a person would write by hand, given the old rows as text. */
  static void rawUpsert(PostgresFixture pg) throws Exception {
    StringBuilder rows = new StringBuilder();
    try (Connection c = pg.connect()) {
      c.setAutoCommit(false);
      for (int i = 1; i <= ROWS; i++) {
        rows.append(i)
            .append("\tok\t")
            .append(
                new java.math.BigDecimal(i).multiply(new java.math.BigDecimal("1.25")).setScale(2))
            .append('\n');
      }
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TEMP TABLE fix (id int, status text, amount numeric(12,2)) ON COMMIT DROP");
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY fix FROM STDIN", new StringReader(rows.toString()));
        s.execute(
            "INSERT INTO bench (id, status, amount) SELECT id, status, amount FROM fix"
                + " ON CONFLICT (id) DO UPDATE SET status = excluded.status, amount = excluded.amount");
      }
      c.commit();
    }
  }

  /** Waits until the capture has confirmed everything written so far. */
  static void drain(PostgresFixture pg, RowguardConfig config) throws Exception {
    String slot = config.source().get("slot.name");
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      String lsn;
      try (var rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
        rs.next();
        lsn = rs.getString(1);
      }
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (System.nanoTime() < deadline) {
        try (var rs =
            s.executeQuery(
                "SELECT confirmed_flush_lsn >= '"
                    + lsn
                    + "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '"
                    + slot
                    + "'")) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        s.execute("SELECT pg_logical_emit_message(false, 'tick', 'x')");
        Thread.sleep(50);
      }
    }
    throw new AssertionError("capture did not catch up");
  }

  static String checksum(PostgresFixture pg) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT md5(string_agg(b::text, ',' ORDER BY id)) FROM bench b")) {
      rs.next();
      return rs.getString(1);
    }
  }

  static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
