package io.rowguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Mirror;
import io.rowguard.connectors.internal.mirror.MirrorLoop;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * {@code e2e-mirror}: the mirror's figures, each a ratio against a baseline run in the same process
 * on the same broker (a real single-node KRaft Kafka in this JVM) and the same embedded PostgreSQL:
 *
 * <ol>
 *   <li>mirror throughput against Kafka's own {@code ProducerPerformance} sending as many records
 *       of the same value size, with the same acks, linger and transactions;
 *   <li>commit → visible to a {@code read_committed} consumer at a steady rate, capture and mirror
 *       in one process (p50, p99);
 *   <li>capture throughput with the mirror running in the same process against capture alone.
 * </ol>
 */
final class MirrorBench {
  record Options(int changes, int runs, int rate, int latencySeconds, Set<String> only, Path json) {
    static Options parse(String[] args) {
      Map<String, String> a = new HashMap<>();
      for (int i = 0; i + 1 < args.length; i += 2) {
        a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
      }
      return new Options(
          Integer.parseInt(a.getOrDefault("changes", "200000")),
          Integer.parseInt(a.getOrDefault("runs", "3")),
          Integer.parseInt(a.getOrDefault("rate", "5000")),
          Integer.parseInt(a.getOrDefault("latency-seconds", "20")),
          Set.of(a.getOrDefault("only", "throughput,latency,beside").split(",")),
          a.containsKey("json") ? Path.of(a.get("json")) : null);
    }
  }

  private final Options o;
  private final PrintStream out;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private EmbeddedPostgres pg;
  private KafkaClusterTestKit kafka;
  private Path work;

  MirrorBench(Options o, PrintStream out) {
    this.o = o;
    this.out = out;
  }

  static void main(String[] args) throws Exception {
    boolean met = new MirrorBench(Options.parse(args), System.out).run();
    System.exit(met ? 0 : 1);
  }

  /** Runs the three parts; true when every goal is met. */
  boolean run() throws Exception {
    work = Files.createTempDirectory("rowguard-mirror-bench");
    results.put("date", java.time.LocalDate.now().toString());
    results.put("cores", Runtime.getRuntime().availableProcessors());
    boolean met = true;
    try {
      pg = EndToEnd.startPostgres();
      kafka = startKafka();
      // latency first: after the throughput part the disk is still writing back the gigabytes it
      // wrote (p99 299-429 ms there, against 67-85 ms on a quiet disk)
      if (o.only().contains("latency")) {
        met &= latency();
      }
      if (o.only().contains("throughput")) {
        met &= throughput();
      }
      if (o.only().contains("beside")) {
        met &= captureBeside();
      }
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      if (pg != null) {
        pg.close();
      }
      EndToEnd.deleteTree(work);
    }
    if (o.json() != null) {
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValue(o.json().toFile(), results);
      out.println("results written to " + o.json());
    }
    return met;
  }

  /** A single-node KRaft Kafka in this JVM, ready. */
  static KafkaClusterTestKit startKafka() throws Exception {
    KafkaClusterTestKit kafka =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("num.partitions", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    kafka.format();
    kafka.startup();
    kafka.waitForReadyBrokers();
    return kafka;
  }

  // ---------------------------------------------------------------- 1. throughput

  private boolean throughput() throws Exception {
    exec(EndToEnd.tableDdl("mt"));
    exec("SELECT pg_create_logical_replication_slot('slot_mt', 'pgoutput')");
    fill("mt", o.changes());
    RowguardConfig config = config("mt", "slot_mt", "pub_mt", "mt0");
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      EndToEnd.drain(capture::journaled, o.changes());
      while (journal.changeCount() < o.changes()) {
        Thread.sleep(10);
      }
    }
    List<Double> ratios = new ArrayList<>();
    List<Double> mirrorRates = new ArrayList<>();
    List<Double> perfRates = new ArrayList<>();
    double valueBytes = 0;
    for (int run = 0; run <= o.runs(); run++) {
      RowguardConfig c = config("mt", "slot_mt", "pub_mt", "mt" + run);
      Map<String, String> p = new HashMap<>(properties(c));
      p.put("journal.dir", work.resolve("j_mt0").toString());
      p.put("mirror.topic.prefix", "tp" + run);
      c = RowguardConfig.of(work.resolve("tp.properties"), p, e -> null);
      double seconds;
      try (Journal journal = Journal.openReader(c.journalDir())) {
        Mirror mirror = new Mirror(c, journal, Clock.systemUTC(), out::println);
        long t0 = System.nanoTime();
        mirror.run(0, Mirror.TO_END, () -> false);
        seconds = (System.nanoTime() - t0) / 1e9;
      }
      double mirrorRate = o.changes() / seconds;
      if (valueBytes == 0) {
        valueBytes = averageValueBytes("tp" + run + ".public.mt");
      }
      double transactionMs = seconds * 1000 / Math.ceil(o.changes() / 10_000.0);
      double perfRate = producerPerformance("perf" + run, (int) valueBytes, transactionMs);
      if (run > 0) {
        mirrorRates.add(mirrorRate);
        perfRates.add(perfRate);
        ratios.add(mirrorRate / perfRate);
      }
    }
    double ratio = EndToEnd.median(ratios);
    out.printf(
        "1. mirror: publishing %,d journaled changes (values %,.0f bytes with schemas)%n",
        o.changes(), valueBytes);
    out.printf("   %-44s %,10.0f records/s%n", "rowguard mirror", EndToEnd.median(mirrorRates));
    out.printf(
        "   %-44s %,10.0f records/s%n",
        "kafka ProducerPerformance, same sizes", EndToEnd.median(perfRates));
    out.printf("   ratio %.2fx (goal >= 0.8x)%n", ratio);
    results.put("mirrorRecordsPerSecond", EndToEnd.median(mirrorRates));
    results.put("producerPerformanceRecordsPerSecond", EndToEnd.median(perfRates));
    results.put("mirrorToProducerPerformance", ratio);
    results.put("mirrorValueBytes", valueBytes);
    return ratio >= 0.8;
  }

  /** Runs Kafka's ProducerPerformance tool in a JVM of its own; returns its records/s. */
  private double producerPerformance(String topic, int recordSize, double transactionMs)
      throws Exception {
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            Integer.toString(o.changes()),
            "--record-size",
            Integer.toString(recordSize),
            "--throughput",
            "-1",
            "--transactional-id",
            topic,
            "--transaction-duration-ms",
            Long.toString(Math.max(1, Math.round(transactionMs))),
            "--producer-props",
            "bootstrap.servers=" + kafka.bootstrapServers(),
            "acks=all",
            "linger.ms=5",
            "batch.size=" + MirrorLoop.BATCH_BYTES,
            "compression.type=" + MirrorLoop.COMPRESSION,
            "enable.idempotence=true");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String last = null;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.contains("records sent")) {
          last = line;
        }
      }
    }
    p.waitFor(10, TimeUnit.MINUTES);
    Matcher m =
        Pattern.compile("records sent, ([0-9.]+) records/sec").matcher(last == null ? "" : last);
    if (!m.find()) {
      throw new IllegalStateException("ProducerPerformance printed no summary: " + last);
    }
    return Double.parseDouble(m.group(1));
  }

  private double averageValueBytes(String topic) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", kafka.bootstrapServers());
    config.put("isolation.level", "read_committed");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long bytes = 0;
      int n = 0;
      while (n < Math.min(1000, o.changes() / 2)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofSeconds(1))) {
          if (r.value() != null) {
            bytes += r.value().length;
            n++;
          }
        }
      }
      return (double) bytes / n;
    }
  }

  // ---------------------------------------------------------------- 2. latency

  /**
   * The goal's figure at the workload of the commit → journaled figure ({@code e2e}): every 10 ms
   * one transaction updating a fiftieth of the second's changes; then the same rate in single-row
   * transactions, three times the records (each change with its transaction's BEGIN and END), as a
   * stress figure without a goal.
   */
  private boolean latency() throws Exception {
    boolean met = latency(Math.max(1, o.rate() / 100), "mirrorLatency");
    latency(1, "mirrorLatencySingleRow");
    return met;
  }

  private boolean latency(int txRows, String key) throws Exception {
    String t = "ml" + txRows;
    exec(
        "CREATE TABLE " + t + " (id bigint PRIMARY KEY, a int, b text)",
        "ALTER TABLE " + t + " REPLICA IDENTITY FULL",
        "INSERT INTO " + t + " SELECT g, 0, 'row ' || g FROM generate_series(1, 100000) g",
        "CREATE PUBLICATION pub_" + t + " FOR TABLE " + t);
    exec("SELECT pg_create_logical_replication_slot('slot_" + t + "', 'pgoutput')");
    Map<String, String> p = properties(config(t, "slot_" + t, "pub_" + t, t));
    p.put("mirror.topic.prefix", "lat" + txRows);
    RowguardConfig config = RowguardConfig.of(work.resolve(t + ".properties"), p, e -> null);
    List<Long> lagsMicros = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    long written = 0;
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      // as mirror.enabled runs it: on capture's own journal instance
      Thread mirror =
          new Thread(
              () -> {
                try {
                  new Mirror(config, journal, Clock.systemUTC(), out::println)
                      .yieldingTo(capture)
                      .run(0, Mirror.FOLLOW, stop::get);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      mirror.start();
      AtomicLong measuringFrom = new AtomicLong(Long.MAX_VALUE);
      Thread consumer =
          new Thread(
              () -> consume("lat" + txRows + ".public." + t, measuringFrom, lagsMicros, stop));
      consumer.start();
      // a steady rate, paced: transactions of txRows rows; measured after a warm-up of 10 s (the
      // topic's creation and the first records of each thread are not the steady state)
      long interval = 1_000_000_000L * txRows / o.rate();
      long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long end = warm + TimeUnit.SECONDS.toNanos(o.latencySeconds());
      SplittableRandom random = new SplittableRandom(1);
      try (Connection c = connect();
          Statement s = c.createStatement()) {
        long next = System.nanoTime();
        while (System.nanoTime() < end) {
          if (measuringFrom.get() == Long.MAX_VALUE && System.nanoTime() - warm >= 0) {
            measuringFrom.set(EndToEnd.nowMicros());
            written = 0;
          }
          long from = random.nextLong(100_000 - txRows) + 1;
          written +=
              s.executeUpdate(
                  "UPDATE "
                      + t
                      + " SET a = a + 1 WHERE id BETWEEN "
                      + from
                      + " AND "
                      + (from + txRows - 1));
          next += interval;
          long sleep = next - System.nanoTime();
          if (sleep > 0) {
            TimeUnit.NANOSECONDS.sleep(sleep);
          }
        }
      }
      Thread.sleep(3000);
      stop.set(true);
      mirror.join();
      consumer.join();
    }
    List<Long> sorted = new ArrayList<>(lagsMicros);
    sorted.sort(null);
    double p50 = sorted.get(sorted.size() / 2) / 1000.0;
    double p99 = sorted.get((int) (sorted.size() * 0.99)) / 1000.0;
    double achieved = written / (double) o.latencySeconds();
    out.printf(
        "2. commit -> visible to a read_committed consumer, %,.0f changes/s in transactions of %d"
            + " row(s), capture and mirror in one process: p50 %.1f ms, p99 %.1f ms over %,d"
            + " changes%s%n",
        achieved,
        txRows,
        p50,
        p99,
        sorted.size(),
        txRows == 1 ? " (stress figure, no goal)" : " (goal p99 <= 250 ms)");
    results.put(key + "P50Ms", p50);
    results.put(key + "P99Ms", p99);
    results.put(key + "ChangesPerSecond", achieved);
    return p99 <= 250;
  }

  /**
   * Reads {@code topic} with read_committed; the lag of each record committed from {@code
   * measuringFrom} on: now minus its commit time.
   */
  private void consume(
      String topic, AtomicLong measuringFrom, List<Long> lags, AtomicBoolean stop) {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", kafka.bootstrapServers());
    config.put("isolation.level", "read_committed");
    config.put("fetch.max.wait.ms", "5");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      while (!stop.get() && consumer.listTopics().get(topic) == null) {
        Thread.sleep(50);
      }
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      while (!stop.get()) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(50))) {
          if (r.value() == null) {
            continue;
          }
          long now = EndToEnd.nowMicros();
          long committed = commitMicros(r.value());
          if (committed >= measuringFrom.get()) {
            lags.add(now - committed);
          }
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static final byte[] PAYLOAD = "\"payload\":".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] TS_US = "\"ts_us\":".getBytes(StandardCharsets.US_ASCII);

  /**
   * The commit time in a record's {@code source} block: the first {@code ts_us} of the payload (the
   * bench table has no column of that name). Found by bytes rather than by parsing the record, a
   * tree of its 3 KB, because the consumer shares the two cores with what it measures.
   */
  static long commitMicros(byte[] value) {
    int at = indexOf(value, TS_US, indexOf(value, PAYLOAD, 0)) + TS_US.length;
    long v = 0;
    while (value[at] >= '0' && value[at] <= '9') {
      v = v * 10 + (value[at++] - '0');
    }
    return v;
  }

  private static int indexOf(byte[] in, byte[] what, int from) {
    outer:
    for (int i = from; i <= in.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (in[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("no " + new String(what, StandardCharsets.US_ASCII));
  }

  // ---------------------------------------------------------------- 3. capture beside the mirror

  private boolean captureBeside() throws Exception {
    List<Double> ratios = new ArrayList<>();
    for (int run = 0; run <= o.runs(); run++) {
      String t = "mc" + run;
      exec(EndToEnd.tableDdl(t));
      exec(
          "SELECT pg_create_logical_replication_slot('" + t + "_alone', 'pgoutput')",
          "SELECT pg_create_logical_replication_slot('" + t + "_mirror', 'pgoutput')");
      fill(t, o.changes());
      double alone = captureRate(config(t, t + "_alone", "pub_" + t, t + "a"), false);
      double beside = captureRate(config(t, t + "_mirror", "pub_" + t, t + "m"), true);
      if (run > 0) {
        ratios.add(beside / alone);
      }
      exec(
          "SELECT pg_drop_replication_slot('" + t + "_alone')",
          "SELECT pg_drop_replication_slot('" + t + "_mirror')",
          "DROP PUBLICATION pub_" + t,
          "DROP TABLE " + t);
    }
    double ratio = EndToEnd.median(ratios);
    out.printf(
        "3. capture with the mirror in the same process: %.2fx capture alone (goal >= 0.85x)%n",
        ratio);
    results.put("captureWithMirrorToAlone", ratio);
    return ratio >= 0.85;
  }

  private double captureRate(RowguardConfig config, boolean mirrored) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      Thread mirror = null;
      if (mirrored) {
        mirror =
            new Thread(
                () -> {
                  try {
                    new Mirror(config, journal, Clock.systemUTC(), out::println)
                        .yieldingTo(capture)
                        .run(0, Mirror.FOLLOW, stop::get);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
        mirror.start();
      }
      double rate = EndToEnd.drain(capture::journaled, o.changes());
      stop.set(true);
      if (mirror != null) {
        mirror.join();
      }
      return rate;
    }
  }

  // ---------------------------------------------------------------- helpers

  private RowguardConfig config(String table, String slot, String publication, String name) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("source.connector", "postgres");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(pg.getPort()));
    p.put("source.database.user", "postgres");
    p.put("source.database.dbname", "postgres");
    p.put("source.table.include.list", "public." + table);
    p.put("source.slot.name", slot);
    p.put("source.publication.name", publication);
    p.put("source.publication.autocreate.mode", "disabled");
    p.put("source.snapshot.mode", "no_data");
    p.put("journal.dir", work.resolve("j_" + name).toString());
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", name);
    return RowguardConfig.of(work.resolve(name + ".properties"), p, e -> null);
  }

  private static Map<String, String> properties(RowguardConfig c) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("source.connector", "postgres");
    c.source().forEach((k, v) -> p.put("source." + k, v));
    p.put("journal.dir", c.journalDir().toString());
    p.put("mirror.bootstrap.servers", c.mirror().bootstrapServers());
    p.put("mirror.topic.prefix", c.mirror().topicPrefix());
    return p;
  }

  private void fill(String table, long changes) throws Exception {
    try (Connection c = connect()) {
      EndToEnd.fill(c, table, changes);
    }
  }

  private Connection connect() throws Exception {
    return pg.getPostgresDatabase().getConnection();
  }

  private void exec(String... sql) throws Exception {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }
}
