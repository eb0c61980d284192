package io.rowguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.DebeziumBaseline;
import io.rowguard.connectors.Freshness;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.Granularity;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.postgresql.PGConnection;

/**
 * rowguard end to end on an embedded PostgreSQL 17, each figure measured side by side with its
 * baseline in the same run:
 *
 * <ol>
 *   <li>capture throughput draining the same replication slot content (half inserts, half updates
 *       with full before images) against Debezium Embedded with a no-op Connect consumer, the same
 *       with its JSON format, and pg_recvlogical to /dev/null; journal bytes per event against the
 *       JSON size of the same events; peak heap while capturing
 *   <li>commit-to-journaled latency at a steady rate
 *   <li>one row's history in a journal of N events
 *   <li>whole-table rollback against COPY into a temporary table and one upsert
 * </ol>
 */
public final class EndToEnd {
  private final Options o;
  private final PrintStream out;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private EmbeddedPostgres pg;

  /** What to run, and how big. */
  record Options(
      long changes,
      int runs,
      int latencySeconds,
      int rate,
      long historyEvents,
      int rollbackRows,
      Set<String> only,
      List<String> variants,
      Path json,
      Path work) {

    static Options parse(String[] args) {
      Map<String, String> a = new LinkedHashMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("expected --option value, got " + args[i]);
        }
        a.put(args[i].substring(2), args[++i]);
      }
      Set<String> known =
          Set.of(
              "changes",
              "runs",
              "latency-seconds",
              "rate",
              "history-events",
              "rollback-rows",
              "only",
              "variants",
              "json",
              "work");
      for (String k : a.keySet()) {
        if (!known.contains(k)) {
          throw new IllegalArgumentException("unknown option --" + k + " (known: " + known + ")");
        }
      }
      for (String v : a.getOrDefault("variants", "").split(",")) {
        if (!v.isEmpty() && !List.of(VARIANTS).contains(v)) {
          throw new IllegalArgumentException(
              "unknown variant " + v + " (known: " + String.join(",", VARIANTS) + ")");
        }
      }
      return new Options(
          Long.parseLong(a.getOrDefault("changes", "500000")),
          Integer.parseInt(a.getOrDefault("runs", "3")),
          Integer.parseInt(a.getOrDefault("latency-seconds", "20")),
          Integer.parseInt(a.getOrDefault("rate", "5000")),
          Long.parseLong(a.getOrDefault("history-events", "1000000")),
          Integer.parseInt(a.getOrDefault("rollback-rows", "100000")),
          Set.of(a.getOrDefault("only", "capture,latency,history,rollback,backout").split(",")),
          List.of(a.getOrDefault("variants", String.join(",", VARIANTS)).split(",")),
          a.containsKey("json") ? Path.of(a.get("json")) : null,
          Path.of(a.getOrDefault("work", System.getProperty("java.io.tmpdir"))));
    }
  }

  EndToEnd(Options o, PrintStream out) {
    this.o = o;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.parse(args);
    System.exit(new EndToEnd(o, System.out).run() ? 0 : 1);
  }

  /** Runs what was asked; true when every goal was met. */
  boolean run() throws Exception {
    Path work = Files.createTempDirectory(o.work(), "rowguard-bench-");
    out.printf(
        "rowguard end-to-end benchmark: %d cores, %d MB max heap, Java %s; medians of %d runs"
            + " after a warm-up%n%n",
        Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20,
        System.getProperty("java.version"),
        o.runs());
    results.put("cores", Runtime.getRuntime().availableProcessors());
    results.put("maxHeapMb", Runtime.getRuntime().maxMemory() >> 20);
    boolean met = true;
    try {
      pg = startPostgres();
      if (o.only().contains("capture")) {
        met &= capture(work);
      }
      if (o.only().contains("latency")) {
        met &= latency(work);
      }
      if (o.only().contains("history")) {
        met &= history(work);
      }
      if (o.only().contains("rollback")) {
        met &= rollback(work);
      }
      if (o.only().contains("backout")) {
        met &= backout(work);
      }
    } finally {
      if (pg != null) {
        pg.close();
      }
      deleteTree(work);
    }
    if (o.json() != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(o.json().toFile(), results);
      out.println("results written to " + o.json());
    }
    return met;
  }

  // ---------------------------------------------------------------- capture throughput

  static final String[] VARIANTS = {"rowguard", "debezium-noop", "debezium-json", "pg_recvlogical"};

  boolean capture(Path work) throws Exception {
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    List<Double> bytes = new ArrayList<>();
    List<Double> jsonBytes = new ArrayList<>();
    List<Double> heap = new ArrayList<>();
    for (int run = 0; run <= o.runs(); run++) {
      String t = "cap" + run;
      exec(tableDdl(t));
      for (String v : VARIANTS) {
        exec("SELECT pg_create_logical_replication_slot('" + slot(t, v) + "', 'pgoutput')");
      }
      fill(t, o.changes());
      String end = query("SELECT pg_current_wal_insert_lsn()::text");
      for (String v : o.variants()) {
        double rate;
        // every variant starts from the same collected heap: a full collection shrinks it, and
        // the variant that runs right after one pays for growing it back
        resetPeakHeap();
        long cpu0 = processCpuNanos();
        double cpuPerEvent;
        switch (v) {
          case "rowguard" -> {
            RowguardConfig config = config(work, t, v);
            try (Journal journal = Journal.openWriter(config.journalDir());
                Capture capture = Capture.start(config, journal)) {
              rate = drain(capture::journaled);
            }
            cpuPerEvent = (processCpuNanos() - cpu0) / 1000.0 / o.changes();
            if (run > 0) {
              heap.add(peakHeapMb());
            }
            // size after compaction: what the journal settles at, not its write-ahead log
            try (Journal journal = Journal.openWriter(config.journalDir())) {
              journal.compact();
              if (run > 0) {
                bytes.add((double) journal.status().diskBytes() / journal.changeCount());
              }
            }
          }
          case "pg_recvlogical" -> {
            rate = recvlogical(slot(t, v), "pub_" + t, end);
            cpuPerEvent = Double.NaN;
          }
          default -> {
            boolean json = v.equals("debezium-json");
            try (DebeziumBaseline b =
                DebeziumBaseline.start(
                    config(work, t, v),
                    json ? DebeziumBaseline.Format.JSON : DebeziumBaseline.Format.CONNECT)) {
              rate = drain(b::changes);
              cpuPerEvent = (processCpuNanos() - cpu0) / 1000.0 / o.changes();
              if (json) {
                if (run > 0) {
                  jsonBytes.add((double) b.jsonBytes() / b.changes());
                }
              }
            }
          }
        }
        if (run > 0) {
          rates.computeIfAbsent(v, k -> new ArrayList<>()).add(rate);
          cpu.computeIfAbsent(v, k -> new ArrayList<>()).add(cpuPerEvent);
        }
        exec("SELECT pg_drop_replication_slot('" + slot(t, v) + "')");
      }
      exec("DROP PUBLICATION pub_" + t, "DROP TABLE " + t);
    }
    double ours = median(rates.get("rowguard"));
    double noop = median(rates.get("debezium-noop"));
    double json = median(rates.get("debezium-json"));
    double recv = median(rates.get("pg_recvlogical"));
    // each ratio is the median of the runs' own ratios: both sides of a run share its conditions
    double toNoop = pairedRatio(rates, "debezium-noop");
    double toJson = pairedRatio(rates, "debezium-json");
    double toRecv = pairedRatio(rates, "pg_recvlogical");
    double perEvent = median(bytes);
    double jsonPerEvent = median(jsonBytes);
    out.printf(
        "1. capture: draining the same slot content, %,d changes (half inserts, half updates"
            + " with before images)%n",
        o.changes());
    out.printf(
        "   %-44s %,10.0f events/s   %5.1f µs CPU/event in this JVM%n",
        "rowguard -> journal", ours, median(cpu.get("rowguard")));
    if (rates.containsKey("debezium-noop")) {
      out.printf(
          "   %-44s %,10.0f events/s   %5.1f µs CPU/event   rowguard %.2fx  (goal >= 0.9x)%n",
          "Debezium Embedded, no-op Connect consumer",
          noop,
          median(cpu.get("debezium-noop")),
          toNoop);
    }
    if (rates.containsKey("debezium-json")) {
      out.printf(
          "   %-44s %,10.0f events/s   %5.1f µs CPU/event   rowguard %.2fx  (goal >= 1.2x)%n",
          "Debezium Embedded, Json format, no-op", json, median(cpu.get("debezium-json")), toJson);
    }
    if (rates.containsKey("pg_recvlogical")) {
      out.printf(
          "   %-44s %,10.0f events/s   rowguard %.2fx%n",
          "pg_recvlogical (pgoutput) > /dev/null", recv, toRecv);
    }
    out.printf("5. journal bytes per event %.1f", perEvent);
    if (!jsonBytes.isEmpty()) {
      out.printf(
          ", Debezium Json %.1f: %.2fx  (goal <= 0.5x)", jsonPerEvent, perEvent / jsonPerEvent);
    }
    out.println();
    out.printf(
        "6. peak heap while capturing: %.0f MB of %d MB%n%n",
        median(heap), Runtime.getRuntime().maxMemory() >> 20);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("changes", o.changes());
    rates.forEach((k, v) -> r.put(k + "EventsPerSecond", v));
    cpu.forEach((k, v) -> r.put(k + "CpuMicrosPerEvent", v));
    r.put("ratioToNoop", toNoop);
    r.put("ratioToJson", toJson);
    r.put("ratioToPgRecvlogical", toRecv);
    r.put("journalBytesPerEvent", bytes);
    r.put("jsonBytesPerEvent", jsonBytes);
    r.put("bytesRatio", perEvent / jsonPerEvent);
    r.put("peakHeapMb", heap);
    results.put("capture", r);
    return toNoop >= 0.9 && toJson >= 1.2 && perEvent / jsonPerEvent <= 0.5;
  }

  private static String slot(String table, String variant) {
    return "s_" + table + "_" + variant.replaceAll("[^a-z]", "");
  }

  private RowguardConfig config(Path work, String table, String variant) {
    Map<String, String> p =
        source(
            table,
            slot(table, variant),
            "pub_" + table,
            work.resolve("j_" + table + "_" + variant));
    p.put("source.publication.autocreate.mode", "disabled");
    p.put("source.snapshot.mode", "no_data");
    System.getProperties().stringPropertyNames().stream()
        .filter(k -> k.startsWith("bench.source."))
        .forEach(k -> p.put(k.substring(6), System.getProperty(k)));
    return RowguardConfig.of(work.resolve(table + ".properties"), p, e -> null);
  }

  /** The properties of a capture of one table of the benchmark's server. */
  private Map<String, String> source(String table, String slot, String publication, Path journal) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("source.connector", "postgres");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(pg.getPort()));
    p.put("source.database.user", "postgres");
    p.put("source.database.dbname", "postgres");
    p.put("source.table.include.list", "public." + table);
    p.put("source.slot.name", slot);
    p.put("source.publication.name", publication);
    p.put("journal.dir", journal.toString());
    return p;
  }

  /** The capture benchmarks' table {@code t}, logged in full, and its publication {@code pub_t}. */
  static String[] tableDdl(String t) {
    return new String[] {
      "CREATE TABLE "
          + t
          + " (id bigint PRIMARY KEY, a int, b text, c numeric(12,2), d timestamptz)",
      "ALTER TABLE " + t + " REPLICA IDENTITY FULL",
      "CREATE PUBLICATION pub_" + t + " FOR TABLE " + t
    };
  }

  /** The benchmarks' PostgreSQL: logical decoding on, commits decoded once their WAL is written. */
  static EmbeddedPostgres startPostgres() throws java.io.IOException {
    return EmbeddedPostgres.builder()
        .setServerConfig("wal_level", "logical")
        .setServerConfig("max_wal_senders", "20")
        .setServerConfig("max_replication_slots", "20")
        .setServerConfig("fsync", "off")
        // a commit is sent to logical decoding once its WAL is written: as on a default
        // server (the embedded one defaults to asynchronous commits)
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("max_wal_size", "4GB")
        .setOutputRedirector(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  private void fill(String table, long changes) throws SQLException {
    try (Connection c = connect()) {
      fill(c, table, changes);
    }
  }

  /** Half inserts, half updates of the inserted rows, in transactions of 1,000 rows. */
  static void fill(Connection c, String table, long changes) throws SQLException {
    long rows = changes / 2;
    try (Statement s = c.createStatement()) {
      for (long from = 1; from <= rows; from += 1000) {
        long to = Math.min(rows, from + 999);
        s.execute(
            "INSERT INTO "
                + table
                + " SELECT g, g % 1000, 'row number ' || g, (g % 100000) / 100.0, now()"
                + " FROM generate_series("
                + from
                + ", "
                + to
                + ") g");
      }
      for (long from = 1; from <= changes - rows; from += 1000) {
        long to = Math.min(changes - rows, from + 999);
        s.execute(
            "UPDATE "
                + table
                + " SET a = a + 1, b = b || ' paid', d = now() WHERE id BETWEEN "
                + from
                + " AND "
                + to);
      }
    }
  }

  /** Polls a change count until it reaches the workload; events/s from the first to the last. */
  private double drain(LongSupplier count) throws InterruptedException {
    return drain(count, o.changes());
  }

  /** Polls a change count until it reaches {@code n}; events/s from the first to the last. */
  static double drain(LongSupplier count, long n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(20);
    long firstCount = -1;
    long firstAt = 0;
    long c;
    while ((c = count.getAsLong()) < n) {
      if (c > 0 && firstCount < 0) {
        firstCount = c;
        firstAt = System.nanoTime();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("drained only " + c + " of " + n + " changes");
      }
      Thread.sleep(2);
    }
    long now = System.nanoTime();
    if (firstCount < 0 || now == firstAt) {
      return Double.NaN;
    }
    return (c - firstCount) / ((now - firstAt) / 1e9);
  }

  private double recvlogical(String slot, String publication, String endLsn) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            "pg_recvlogical",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(pg.getPort()),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-S",
            slot,
            "--start",
            "-o",
            "proto_version=1",
            "-o",
            "publication_names=" + publication,
            "-E",
            endLsn,
            "-f",
            "/dev/null",
            "--no-loop");
    pb.redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p;
    try {
      p = pb.start();
    } catch (java.io.IOException e) {
      out.println("   (pg_recvlogical not found: install PostgreSQL's client tools to compare)");
      return Double.NaN;
    }
    String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(20, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("pg_recvlogical failed: " + log);
    }
    return o.changes() / ((System.nanoTime() - t0) / 1e9);
  }

  // ---------------------------------------------------------------- latency

  boolean latency(Path work) throws Exception {
    String t = "lat";
    exec(
        "CREATE TABLE " + t + " (id bigint PRIMARY KEY, v int, note text)",
        "ALTER TABLE " + t + " REPLICA IDENTITY FULL",
        "INSERT INTO " + t + " SELECT g, 0, 'row ' || g FROM generate_series(1, 100000) g");
    Map<String, String> p = source(t, "s_lat", "pub_lat", work.resolve("j_lat"));
    p.put("source.snapshot.mode", "no_data");
    RowguardConfig config = RowguardConfig.of(work.resolve("lat.properties"), p, e -> null);
    ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
    long[] measuring = {Long.MAX_VALUE};
    int perTx = Math.max(1, o.rate() / 100);
    long lag;
    long written;
    List<Long> fences = new ArrayList<>();
    List<Long> added = new ArrayList<>();
    List<Long> commands = new ArrayList<>();
    List<Long> alone = new ArrayList<>();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture =
            Capture.start(
                config,
                journal,
                new Capture.Options(
                    tx -> {
                      long now = nowMicros();
                      if (tx.commitMicros() >= measuring[0]) {
                        latencies.add(now - tx.commitMicros());
                      }
                    },
                    false))) {
      awaitSlotActive("s_lat");
      exec("UPDATE " + t + " SET note = note || '.' WHERE id <= 50"); // rows the checks plan
      ScheduledExecutorService load = Executors.newSingleThreadScheduledExecutor();
      Connection c = connect();
      Statement s = c.createStatement();
      SplittableRandom random = new SplittableRandom(1);
      long[] sent = {0};
      load.scheduleAtFixedRate(
          () -> {
            try {
              long from = random.nextLong(100_000 - perTx) + 1;
              sent[0] +=
                  s.executeUpdate(
                      "UPDATE lat SET v = v + 1 WHERE id BETWEEN "
                          + from
                          + " AND "
                          + (from + perTx - 1));
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          },
          0,
          10,
          TimeUnit.MILLISECONDS);
      Thread.sleep(3_000); // warm-up
      measuring[0] = nowMicros();
      long sentAtStart = sent[0];
      Thread.sleep(o.latencySeconds() * 1000L);
      written = sent[0] - sentAtStart;
      // what a rollback's check that the journal has caught up costs while capture keeps up: as
      // a command does it, the mark written while the journal is opened and a row's rollback is
      // planned; what is added is the wait left after that
      TableId lat = TableId.of("public", t);
      for (int i = 0; i < 50; i++) {
        long started = System.nanoTime();
        Freshness.Check check = Freshness.start(config);
        try (Journal reader = Journal.openReader(config.journalDir())) {
          TableSchema schema = reader.latestSchema(lat).orElseThrow();
          new Planner(reader, Clock.systemUTC())
              .rollbackRows(
                  lat,
                  List.of(RowKey.parse(Long.toString(1 + i), schema)),
                  new PointInTime.At(nowMicros() - 1_000_000L));
          long planned = System.nanoTime();
          Freshness f = check.await(reader, Duration.ofSeconds(30), line -> {});
          if (!f.fresh()) {
            throw new IllegalStateException("the journal did not catch up: " + f);
          }
          long done = System.nanoTime();
          fences.add((done - started) / 1000);
          added.add((done - planned) / 1000);
          commands.add((planned - started) / 1000);
        }
        Thread.sleep(20);
      }
      // and the check alone, on a journal already open: the mark, then the wait
      try (Journal reader = Journal.openReader(config.journalDir())) {
        for (int i = 0; i < 50; i++) {
          Freshness f = Freshness.await(config, reader, Duration.ofSeconds(30), line -> {});
          if (!f.fresh()) {
            throw new IllegalStateException("the journal did not catch up: " + f);
          }
          alone.add(f.waited().toNanos() / 1000);
          Thread.sleep(20);
        }
      }
      load.shutdown();
      load.awaitTermination(10, TimeUnit.SECONDS);
      s.close();
      c.close();
      lag =
          Long.parseLong(
              query(
                  "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn)::bigint"
                      + " FROM pg_replication_slots WHERE slot_name = 's_lat'"));
    }
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    double p50 = percentile(sorted, 50) / 1000.0;
    double p99 = percentile(sorted, 99) / 1000.0;
    double max = sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1) / 1000.0;
    double achieved = written / (double) o.latencySeconds();
    out.printf(
        "2. commit -> journaled latency at %,.0f changes/s for %d s (%,d transactions):"
            + " p50 %.1f ms, p99 %.1f ms, max %.1f ms  (goal p99 <= 100 ms); slot behind"
            + " by %,d bytes at the end%n%n",
        achieved, o.latencySeconds(), sorted.size(), p50, p99, max, lag);
    Collections.sort(fences);
    Collections.sort(added);
    Collections.sort(commands);
    Collections.sort(alone);
    double fence50 = percentile(fences, 50) / 1000.0;
    double fence99 = percentile(fences, 99) / 1000.0;
    double added50 = percentile(added, 50) / 1000.0;
    double added99 = percentile(added, 99) / 1000.0;
    out.printf(
        "   the stale-journal check before a plan (mark the log, wait for the journal to pass it),"
            + " at that load, %d checks: added to a command (the wait left once it has opened the"
            + " journal and planned a row, %.1f ms at p50) p50 %.1f ms, p99 %.1f ms  (goal <= 50"
            + " ms); from the command's start to the answer p50 %.1f ms, p99 %.1f ms; the check"
            + " alone on an open journal p50 %.1f ms, p99 %.1f ms%n%n",
        fences.size(),
        percentile(commands, 50) / 1000.0,
        added50,
        added99,
        fence50,
        fence99,
        percentile(alone, 50) / 1000.0,
        percentile(alone, 99) / 1000.0);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("freshnessAddedP50Millis", added50);
    r.put("freshnessAddedP99Millis", added99);
    r.put("freshnessP50Millis", fence50);
    r.put("freshnessP99Millis", fence99);
    r.put("freshnessAloneP50Millis", percentile(alone, 50) / 1000.0);
    r.put("freshnessAloneP99Millis", percentile(alone, 99) / 1000.0);
    r.put("changesPerSecond", achieved);
    r.put("transactions", sorted.size());
    r.put("p50Millis", p50);
    r.put("p99Millis", p99);
    r.put("maxMillis", max);
    r.put("slotLagBytesAtEnd", lag);
    results.put("latency", r);
    exec("SELECT pg_drop_replication_slot('s_lat')", "DROP TABLE lat");
    return p99 <= 100 && added99 <= 50;
  }

  static long nowMicros() {
    Instant i = Clock.systemUTC().instant();
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  private void awaitSlotActive(String slot) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if ("t"
          .equals(
              query(
                      "SELECT coalesce((SELECT active::text FROM pg_replication_slots WHERE"
                          + " slot_name = '"
                          + slot
                          + "'), 'f')")
                  .substring(0, 1))) {
        return;
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("slot " + slot + " did not become active");
  }

  // ---------------------------------------------------------------- history

  static final TableSchema ORDERS =
      new TableSchema(
          TableId.of("public", "orders"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT64)),
              new Column("status", ValueSchema.of(ValueType.STRING)),
              new Column("amount", ValueSchema.of(ValueType.STRING)),
              new Column("note", ValueSchema.of(ValueType.STRING))),
          List.of("id"));

  boolean history(Path work) throws Exception {
    Path dir = work.resolve("history");
    long events = o.historyEvents();
    long rows = Math.max(1, events / 10);
    long t0 = System.nanoTime();
    try (Journal w = Journal.openWriter(dir)) {
      long tx = 0;
      for (long done = 0; done < events; tx++) {
        try (Journal.Batch b = w.newBatch()) {
          for (int i = 0; i < 10_000 && done < events; i++, done++) {
            long id = done % rows + 1;
            b.append(
                new ChangeEvent(
                    ORDERS,
                    Op.UPDATE,
                    Row.of(ORDERS, id, "new", id + ".25", "order " + id),
                    Row.of(ORDERS, id, "paid", id + ".25", "order " + id),
                    1_800_000_000_000_000L + done,
                    Long.toString(tx),
                    "0/" + done,
                    i));
          }
          b.markCommitted();
          b.putOffsets(
              Map.of(
                  ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)),
                  ByteBuffer.wrap(Long.toString(tx).getBytes(StandardCharsets.UTF_8))));
          b.commit();
        }
      }
      w.compact();
    }
    double buildSeconds = (System.nanoTime() - t0) / 1e9;
    List<Long> nanos = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(7);
    try (Journal r = Journal.openReader(dir)) {
      for (int i = 0; i < 25_000; i++) {
        long id = random.nextLong(rows) + 1;
        RowKey key = RowKey.of(List.of("id"), List.of(id));
        long s = System.nanoTime();
        int versions = r.history(ORDERS.table(), key).size();
        long e = System.nanoTime();
        if (versions == 0) {
          throw new IllegalStateException("no history for " + id);
        }
        if (i >= 5_000) { // the first 5,000 warm up
          nanos.add(e - s);
        }
      }
    }
    Collections.sort(nanos);
    double p50 = percentile(nanos, 50) / 1000.0;
    double p99 = percentile(nanos, 99) / 1000.0;
    out.printf(
        "3. history of one row (10 versions) in a journal of %,d events (built in %.0f s):"
            + " p50 %.0f µs, p99 %.0f µs  (goal p99 <= 1 ms)%n%n",
        events, buildSeconds, p50, p99);
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("events", events);
    r.put("p50Micros", p50);
    r.put("p99Micros", p99);
    results.put("history", r);
    deleteTree(dir);
    return p99 <= 1000;
  }

  // ---------------------------------------------------------------- rollback

  boolean rollback(Path work) throws Exception {
    int rows = o.rollbackRows();
    createOrders("rb", rows);
    Map<String, String> p = source("rb", "s_rb", "pub_rb", work.resolve("j_rb"));
    RowguardConfig config = RowguardConfig.of(work.resolve("rb.properties"), p, e -> null);
    List<Double> ours = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    List<Double> gcs = new ArrayList<>();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      drainSlot("s_rb");
      for (int run = 0; run <= o.runs(); run++) {
        // each run rolls back the changes of its own bad write, nothing older
        String good = query("SELECT md5(string_agg(b::text, ',' ORDER BY id)) FROM rb b");
        long t =
            Long.parseLong(
                query("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"));
        Thread.sleep(2);
        exec("UPDATE rb SET status = 'bad" + run + "', amount = 0");
        drainSlot("s_rb");
        settle("rb");
        long g0 = gcMillis();
        long t0 = System.nanoTime();
        // as `rowguard rollback --table rb --to T --apply` does it: planned and written together
        ApplyResult result;
        try (Connection c = connect()) {
          result =
              new PlanApplier(c)
                  .rollbackTable(
                      new Planner(journal, Clock.systemUTC()),
                      TableId.of("public", "rb"),
                      new PointInTime.At(t),
                      ConflictPolicy.ABORT,
                      "bench",
                      "",
                      PlanApplier.Progress.NONE)
                  .result();
        }
        long t2 = System.nanoTime();
        long g2 = gcMillis();
        if (!query("SELECT md5(string_agg(b::text, ',' ORDER BY id)) FROM rb b").equals(good)) {
          throw new IllegalStateException(
              "the rollback did not restore the table: "
                  + result.conflicts().size()
                  + " conflicts");
        }
        exec("UPDATE rb SET status = 'bad', amount = 0");
        drainSlot("s_rb");
        settle("rb");
        long r0 = System.nanoTime();
        rawUpsert("rb", rows);
        long r1 = System.nanoTime();
        if (run > 0) {
          gcs.add((double) (g2 - g0));
          ours.add(rows / ((t2 - t0) / 1e9));
          raw.add(rows / ((r1 - r0) / 1e9));
        }
        drainSlot("s_rb");
      }
    }
    double m = median(ours);
    double r = median(raw);
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) {
      ratios.add(ours.get(i) / raw.get(i));
    }
    double ratio = median(ratios);
    out.printf(
        "4. whole-table rollback of %,d rows: plan + apply %,.0f rows/s (GC %.0f ms) vs COPY ->"
            + " temp -> upsert %,.0f rows/s: %.2fx  (goal >= 0.7x)%n%n",
        rows, m, median(gcs), r, ratio);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("rows", rows);
    res.put("rowsPerSecond", ours);
    res.put("rawUpsertRowsPerSecond", raw);
    res.put("gcMillis", gcs);
    res.put("ratios", ratios);
    res.put("ratio", ratio);
    results.put("rollback", res);
    exec("SELECT pg_drop_replication_slot('s_rb')", "DROP TABLE rb");
    return ratio >= 0.7;
  }

  // ---------------------------------------------------------------- backout

  /**
   * A bad transaction rewrote two columns of every row; a later one changed another column of a
   * tenth of them. The value-by-value backout of the bad one (planned and applied, keeping the
   * later work) against the same raw stage-and-upsert of the old values as the rollback's baseline.
   */
  boolean backout(Path work) throws Exception {
    int rows = o.rollbackRows();
    createOrders("bo", rows);
    Map<String, String> p = source("bo", "s_bo", "pub_bo", work.resolve("j_bo"));
    RowguardConfig config = RowguardConfig.of(work.resolve("bo.properties"), p, e -> null);
    List<Double> ours = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    List<Double> planMillis = new ArrayList<>();
    List<Double> applyMillis = new ArrayList<>();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      drainSlot("s_bo");
      for (int run = 0; run <= o.runs(); run++) {
        String bad =
            query(
                "WITH u AS (UPDATE bo SET status = 'bad"
                    + run
                    + "', amount = 0 RETURNING 1) SELECT (txid_current() % 4294967296)::text");
        exec("UPDATE bo SET note = 'later " + run + "' WHERE id % 10 = 0");
        drainSlot("s_bo");
        settle("bo");
        long t0 = System.nanoTime();
        RollbackPlan plan =
            new Planner(journal, Clock.systemUTC())
                .backout(List.of(bad), Granularity.CELL, ConflictPolicy.SKIP, false);
        long tp = System.nanoTime();
        ApplyResult result;
        try (Connection c = connect()) {
          result =
              new PlanApplier(c)
                  .apply(plan, ConflictPolicy.SKIP, "bench", "", PlanApplier.Progress.NONE);
        }
        long t1 = System.nanoTime();
        String left =
            query(
                "SELECT count(*) FILTER (WHERE status <> 'ok' OR amount <> id * 1.25)"
                    + " || '/' || count(*) FILTER (WHERE note = 'later "
                    + run
                    + "') FROM bo");
        if (!left.equals("0/" + rows / 10) || !result.conflicts().isEmpty()) {
          throw new IllegalStateException("the backout left " + left + " (bad/later)");
        }
        exec("UPDATE bo SET status = 'bad', amount = 0");
        drainSlot("s_bo");
        settle("bo");
        long r0 = System.nanoTime();
        rawUpsert("bo", rows);
        long r1 = System.nanoTime();
        if (run > 0) {
          planMillis.add((tp - t0) / 1e6);
          applyMillis.add((t1 - tp) / 1e6);
          ours.add(rows / ((t1 - t0) / 1e9));
          raw.add(rows / ((r1 - r0) / 1e9));
        }
        drainSlot("s_bo");
      }
    }
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < ours.size(); i++) {
      ratios.add(ours.get(i) / raw.get(i));
    }
    double ratio = median(ratios);
    out.printf(
        "7. value-by-value backout of a %,d-row transaction, a tenth of its rows changed later:"
            + " plan + apply %,.0f rows/s (plan %,.0f ms, apply %,.0f ms) vs COPY -> temp -> upsert"
            + " %,.0f rows/s: %.2fx  (goal >= 0.6x)%n%n",
        rows, median(ours), median(planMillis), median(applyMillis), median(raw), ratio);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("rows", rows);
    res.put("rowsPerSecond", ours);
    res.put("rawUpsertRowsPerSecond", raw);
    res.put("planMillis", planMillis);
    res.put("applyMillis", applyMillis);
    res.put("ratios", ratios);
    res.put("ratio", ratio);
    results.put("backout", res);
    exec("SELECT pg_drop_replication_slot('s_bo')", "DROP TABLE bo");
    return ratio >= 0.6;
  }

  /**
   * The same start for each timed write: the table without dead rows, a checkpoint just taken, and
   * a collected heap, so neither side meets the other's garbage, the garbage of capturing the bad
   * write, or pays a checkpoint's full-page writes alone. What a side allocates itself it pays for.
   */
  private void settle(String table) throws Exception {
    exec("VACUUM " + table, "CHECKPOINT");
  }

  /** Time this JVM has spent collecting garbage so far. */
  private static long gcMillis() {
    long t = 0;
    for (var b : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
      t += b.getCollectionTime();
    }
    return t;
  }

  /**
   * The table the rollback and backout parts repair: {@code rows} rows as {@link #rawUpsert} has
   * them.
   */
  private void createOrders(String table, int rows) throws Exception {
    exec(
        "CREATE TABLE "
            + table
            + " (id int PRIMARY KEY, status text, amount numeric(12,2), note text, at timestamptz)",
        "ALTER TABLE " + table + " REPLICA IDENTITY FULL",
        "INSERT INTO "
            + table
            + " SELECT g, 'ok', g * 1.25, 'note ' || g, now() FROM generate_series(1, "
            + rows
            + ") g");
  }

  /** What a person would write by hand, given the old rows as text. */
  private void rawUpsert(String table, int rows) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 1; i <= rows; i++) {
      text.append(i)
          .append("\tok\t")
          .append(new java.math.BigDecimal(i).multiply(new java.math.BigDecimal("1.25")))
          .append('\n');
    }
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute(
            "CREATE TEMP TABLE fix (id int, status text, amount numeric(12,2)) ON COMMIT DROP");
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY fix FROM STDIN", new StringReader(text.toString()));
        s.execute(
            "INSERT INTO "
                + table
                + " (id, status, amount) SELECT id, status, amount FROM fix"
                + " ON CONFLICT (id) DO UPDATE SET status = excluded.status,"
                + " amount = excluded.amount");
      }
      c.commit();
    }
  }

  /** Waits until the slot has confirmed everything written so far. */
  private void drainSlot(String slot) throws Exception {
    String lsn = query("SELECT pg_current_wal_insert_lsn()::text");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      String done =
          query(
              "SELECT coalesce((SELECT (confirmed_flush_lsn >= '"
                  + lsn
                  + "'::pg_lsn)::text FROM pg_replication_slots WHERE slot_name = '"
                  + slot
                  + "'), 'false')");
      if (done.startsWith("t")) {
        return;
      }
      exec("SELECT pg_logical_emit_message(false, 'tick', 'x')");
      Thread.sleep(50);
    }
    throw new IllegalStateException("capture did not catch up with " + lsn);
  }

  // ---------------------------------------------------------------- helpers

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres", "postgres", "");
  }

  private void exec(String... sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private String query(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The median over runs of rowguard's rate divided by the baseline's in the same run. */
  static double pairedRatio(Map<String, List<Double>> rates, String baseline) {
    List<Double> ours = rates.get("rowguard");
    List<Double> theirs = rates.get(baseline);
    if (ours == null || theirs == null) {
      return Double.NaN;
    }
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(ours.size(), theirs.size()); i++) {
      ratios.add(ours.get(i) / theirs.get(i));
    }
    return median(ratios);
  }

  static double median(List<Double> values) {
    if (values == null || values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static double percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static void resetPeakHeap() {
    System.gc();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  private static double peakHeapMb() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum / (1024.0 * 1024.0);
  }

  static void deleteTree(Path p) throws java.io.IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  static String format(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
