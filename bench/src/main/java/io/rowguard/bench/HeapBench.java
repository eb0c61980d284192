package io.rowguard.bench;

import io.rowguard.journal.Journal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much heap {@code rowguard capture} needs, against the shape of the traffic: the number of
 * tables, the width of rows and the size of transactions. Each workload is streamed through a real
 * capture in a JVM of its own (rowguard.jar, the JVM's default heap and collector, GC logging on),
 * and the heap it held after each collection is read from the GC log: the largest of those is what
 * the workload kept live, and the heap to give capture is a small multiple of it. The heap the JVM
 * grew to with default settings is reported beside it.
 *
 * <pre>java -jar bench/target/rowguard-bench.jar e2e-heap [--jar cli/target/rowguard.jar]
 * [--scale 1.0]</pre>
 */
public final class HeapBench {
  /** One shape of traffic. */
  record Workload(int tables, int rowBytes, int txs, int rowsPerTx) {
    String name() {
      return String.format(
          Locale.ROOT,
          "%s%s rows, %s",
          tables > 1 ? tables + " tables, " : "",
          rowBytes >= 1024 ? rowBytes / 1024 + " KB" : rowBytes + " B",
          rowsPerTx == 1 ? "1-row transactions" : "one " + rowsPerTx + "-row transaction");
    }

    long rows() {
      return (long) txs * rowsPerTx;
    }
  }

  /** What the GC log of one run says, in MB. */
  record Heap(double peakLive, double peakUsed, double peakCommitted) {}

  private static final Pattern PAUSE =
      Pattern.compile("Pause.*?(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

  public static void main(String[] args) throws Exception {
    Path jar = Path.of("cli/target/rowguard.jar");
    double scale = 1.0;
    String xmx = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--xmx" -> xmx = args[++i];
        case "--scale" -> scale = Double.parseDouble(args[++i]);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (!Files.exists(jar)) {
      throw new IllegalArgumentException(
          jar + " does not exist: build it (mvn -B -DskipTests package)");
    }
    List<Workload> workloads =
        List.of(
            new Workload(1, 100, n(40_000, scale), 1),
            new Workload(1, 8_192, n(10_000, scale), 1),
            new Workload(200, 100, n(40_000, scale), 1),
            new Workload(1, 100, 1, n(400_000, scale)),
            new Workload(1, 8_192, 1, n(40_000, scale)));
    PrintStream out = System.out;
    out.printf(
        Locale.ROOT,
        "capture's heap (%s, %s on %d cores, %d MB RAM)%n",
        jar,
        xmx == null ? "the JVM's default heap settings" : "-Xmx" + xmx,
        Runtime.getRuntime().availableProcessors(),
        ((com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize()
            >> 20);
    out.printf(
        Locale.ROOT,
        "%-40s %10s %10s %12s %12s %14s%n",
        "workload",
        "rows",
        "data MB",
        "live MB",
        "used MB",
        "committed MB");
    try (EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setServerConfig("wal_level", "logical")
            .setServerConfig("max_wal_senders", "10")
            .setServerConfig("max_replication_slots", "10")
            .setServerConfig("synchronous_commit", "off")
            .start()) {
      int run = 0;
      for (Workload w : workloads) {
        Heap h;
        try {
          h = measure(pg, jar, xmx, w, run++);
        } catch (IllegalStateException failed) {
          out.printf(
              Locale.ROOT, "%-40s %10d  failed: %s%n", w.name(), w.rows(), firstLine(failed));
          continue;
        }
        out.printf(
            Locale.ROOT,
            "%-40s %10d %10.0f %12.0f %12.0f %14.0f%n",
            w.name(),
            w.rows(),
            w.rows() * (w.rowBytes() + 40) / 1e6,
            h.peakLive(),
            h.peakUsed(),
            h.peakCommitted());
      }
    }
  }

  private static String firstLine(Exception e) {
    return e.getMessage()
        .lines()
        .filter(l -> l.contains("rowguard:") || l.contains("OutOfMemory"))
        .findFirst()
        .orElse(e.getMessage().lines().findFirst().orElse(""));
  }

  private static int n(int base, double scale) {
    return Math.max(1, (int) Math.round(base * scale));
  }

  private static Heap measure(EmbeddedPostgres pg, Path jar, String xmx, Workload w, int run)
      throws Exception {
    Path dir = Files.createTempDirectory("rowguard-heap-");
    String prefix = "h" + run + "_";
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      for (int t = 0; t < w.tables(); t++) {
        s.execute("CREATE TABLE " + prefix + t + " (id bigint PRIMARY KEY, v text)");
        s.execute("ALTER TABLE " + prefix + t + " REPLICA IDENTITY FULL");
      }
    }
    Path config = dir.resolve("heap.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "source.connector=postgres",
            "source.database.hostname=127.0.0.1",
            "source.database.port=" + pg.getPort(),
            "source.database.user=postgres",
            "source.database.password=",
            "source.database.dbname=postgres",
            "source.table.include.list=public." + prefix + ".*",
            "source.slot.name=rg_heap_" + run,
            "journal.dir=" + dir.resolve("journal")));
    Path gcLog = dir.resolve("gc.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (xmx != null) {
      cmd.add("-Xmx" + xmx);
    }
    cmd.addAll(
        List.of(
            "-Xlog:gc:file=" + gcLog,
            "-jar",
            jar.toString(),
            "capture",
            "-c",
            config.toString(),
            "--progress-interval",
            "0"));
    Process capture =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("capture.log").toFile())
            .start();
    try {
      awaitSlotActive(pg, "rg_heap_" + run, capture, dir);
      write(pg, w, prefix);
      awaitJournaled(dir.resolve("journal"), w.rows(), capture, dir);
      return parse(Files.readAllLines(gcLog));
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
      try (Connection c = pg.getPostgresDatabase().getConnection();
          Statement s = c.createStatement()) {
        s.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = 'rg_heap_"
                + run
                + "'");
        for (int t = 0; t < w.tables(); t++) {
          s.execute("DROP TABLE " + prefix + t);
        }
      }
      deleteTree(dir);
    }
  }

  /** Writes the workload: its transactions round-robin over its tables. */
  private static void write(EmbeddedPostgres pg, Workload w, String prefix) throws Exception {
    String value = "x".repeat(w.rowBytes());
    try (Connection c = pg.getPostgresDatabase().getConnection()) {
      c.setAutoCommit(false);
      List<PreparedStatement> inserts = new ArrayList<>();
      for (int t = 0; t < w.tables(); t++) {
        inserts.add(c.prepareStatement("INSERT INTO " + prefix + t + " VALUES (?, ?)"));
      }
      long id = 0;
      for (int tx = 0; tx < w.txs(); tx++) {
        PreparedStatement ps = inserts.get(tx % w.tables());
        for (int r = 0; r < w.rowsPerTx(); r++) {
          ps.setLong(1, id++);
          ps.setString(2, value);
          ps.addBatch();
          if (r % 1_000 == 999) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
        c.commit();
      }
      for (PreparedStatement ps : inserts) {
        ps.close();
      }
    }
  }

  private static void awaitSlotActive(EmbeddedPostgres pg, String slot, Process capture, Path dir)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    try (Connection c = pg.getPostgresDatabase().getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      while (System.nanoTime() < deadline) {
        check(capture, dir);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("capture did not start streaming in 120 s");
  }

  private static void awaitJournaled(Path journal, long rows, Process capture, Path dir)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (System.nanoTime() < deadline) {
      check(capture, dir);
      try (Journal j = Journal.openReader(journal)) {
        if (j.status().entries() >= rows) {
          return;
        }
      }
      Thread.sleep(500);
    }
    throw new IllegalStateException("capture did not journal " + rows + " rows in 10 minutes");
  }

  private static void check(Process capture, Path dir) throws Exception {
    if (!capture.isAlive()) {
      throw new IllegalStateException(
          "capture exited with "
              + capture.exitValue()
              + ":\n"
              + Files.readString(dir.resolve("capture.log")));
    }
  }

  /** The largest heap after a pause (live), before one (used), and the heap's size (committed). */
  static Heap parse(List<String> gcLog) {
    double live = 0;
    double used = 0;
    double committed = 0;
    for (String line : gcLog) {
      Matcher m = PAUSE.matcher(line);
      if (m.find()) {
        used = Math.max(used, mb(m.group(1), m.group(2)));
        live = Math.max(live, mb(m.group(3), m.group(4)));
        committed = Math.max(committed, mb(m.group(5), m.group(6)));
      }
    }
    return new Heap(live, used, committed);
  }

  private static double mb(String n, String unit) {
    double v = Double.parseDouble(n);
    return switch (unit) {
      case "K" -> v / 1024;
      case "G" -> v * 1024;
      default -> v;
    };
  }

  private static void deleteTree(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
