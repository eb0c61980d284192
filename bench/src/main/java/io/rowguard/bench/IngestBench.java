package io.rowguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Mirror;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
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
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/**
 * {@code e2e-kafka-ingest}: building a journal from Debezium's topics ({@code
 * source.connector=kafka}) against a plain consumer reading the same topics, on the same broker in
 * the same run. The topics are Debezium's format with schemas and the transaction topic, written by
 * rowguard's mirror from a captured journal (the format {@code MirrorCompatibilityIT} proves equal
 * to Debezium's). The baselines read every record with {@code read_committed}: the goal's, a plain
 * consumer parsing each key and value as JSON with Jackson; beside it, one that only counts bytes
 * and one that decodes with Kafka Connect's {@code JsonConverter}.
 */
final class IngestBench {
  private final int changes;
  private final int runs;
  private final Path json;
  private final PrintStream out;
  private EmbeddedPostgres pg;
  private KafkaClusterTestKit kafka;
  private Path work;

  IngestBench(String[] args, PrintStream out) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    this.changes = Integer.parseInt(a.getOrDefault("changes", "200000"));
    this.runs = Integer.parseInt(a.getOrDefault("runs", "3"));
    this.json = a.containsKey("json") ? Path.of(a.get("json")) : null;
    this.out = out;
  }

  static void main(String[] args) throws Exception {
    System.exit(new IngestBench(args, System.out).run() ? 0 : 1);
  }

  /**
   * True when the goal is met: at least 0.7x a plain consumer reading the same records, one that
   * parses each key and value as JSON (a consumer that only counts bytes is reported beside it).
   */
  boolean run() throws Exception {
    work = Files.createTempDirectory("rowguard-ingest-bench");
    Map<String, Object> results = new LinkedHashMap<>();
    results.put("date", java.time.LocalDate.now().toString());
    results.put("cores", Runtime.getRuntime().availableProcessors());
    try {
      pg = EndToEnd.startPostgres();
      kafka = MirrorBench.startKafka();
      publish();
      List<Double> ratios = new ArrayList<>();
      List<Double> ingestRates = new ArrayList<>();
      List<Double> consumerRates = new ArrayList<>();
      List<Double> decodingRates = new ArrayList<>();
      List<Double> decodingRatios = new ArrayList<>();
      List<Double> treeRates = new ArrayList<>();
      List<Double> treeRatios = new ArrayList<>();
      for (int run = 0; run <= runs; run++) {
        double consumer = plainConsumer(Reading.BYTES);
        double trees = plainConsumer(Reading.JACKSON);
        double decoding = plainConsumer(Reading.CONNECT);
        double ingest = ingest(run);
        if (run > 0) { // the first run warms the JVM
          consumerRates.add(consumer);
          treeRates.add(trees);
          decodingRates.add(decoding);
          ingestRates.add(ingest);
          ratios.add(ingest / consumer);
          treeRatios.add(ingest / trees);
          decodingRatios.add(ingest / decoding);
        }
      }
      double ratio = EndToEnd.median(ratios);
      out.printf("journal from Kafka: %,d changes in Debezium's format with schemas%n", changes);
      out.printf(
          "   %-44s %,10.0f changes/s%n",
          "rowguard capture, source.connector=kafka", EndToEnd.median(ingestRates));
      out.printf(
          "   %-44s %,10.0f changes/s%n",
          "consumer counting bytes, same topics", EndToEnd.median(consumerRates));
      out.printf(
          "   %-44s %,10.0f changes/s%n",
          "consumer parsing with Jackson (readTree)", EndToEnd.median(treeRates));
      out.printf(
          "   %-44s %,10.0f changes/s%n",
          "consumer decoding with JsonConverter", EndToEnd.median(decodingRates));
      double treeRatio = EndToEnd.median(treeRatios);
      out.printf(
          "   ratio %.2fx the plain consumer parsing each record with Jackson (goal >= 0.7x)%n",
          treeRatio);
      out.printf("   ratio %.2fx the consumer that only counts bytes%n", ratio);
      out.printf(
          "   ratio %.2fx the consumer decoding with JsonConverter%n",
          EndToEnd.median(decodingRatios));
      results.put("jacksonConsumerChangesPerSecond", EndToEnd.median(treeRates));
      results.put("ingestToJacksonConsumer", EndToEnd.median(treeRatios));
      results.put("jsonConverterConsumerChangesPerSecond", EndToEnd.median(decodingRates));
      results.put("ingestToJsonConverterConsumer", EndToEnd.median(decodingRatios));
      results.put("ingestChangesPerSecond", EndToEnd.median(ingestRates));
      results.put("bytesConsumerChangesPerSecond", EndToEnd.median(consumerRates));
      results.put("ingestToBytesConsumer", ratio);
      if (json != null) {
        new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .writeValue(json.toFile(), results);
      }
      return treeRatio >= 0.7;
    } finally {
      if (kafka != null) {
        kafka.close();
      }
      if (pg != null) {
        pg.close();
      }
      EndToEnd.deleteTree(work);
    }
  }

  /** Captures the workload and mirrors it: Debezium's topics, with the transaction topic. */
  private void publish() throws Exception {
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      for (String q : EndToEnd.tableDdl("ig")) {
        s.execute(q);
      }
      s.execute("SELECT pg_create_logical_replication_slot('slot_ig', 'pgoutput')");
      EndToEnd.fill(c, "ig", changes);
    }
    Map<String, String> p = new LinkedHashMap<>();
    p.put("source.connector", "postgres");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(pg.getPort()));
    p.put("source.database.user", "postgres");
    p.put("source.database.dbname", "postgres");
    p.put("source.table.include.list", "public.ig");
    p.put("source.slot.name", "slot_ig");
    p.put("source.publication.name", "pub_ig");
    p.put("source.publication.autocreate.mode", "disabled");
    p.put("source.snapshot.mode", "no_data");
    p.put("journal.dir", work.resolve("captured").toString());
    p.put("mirror.bootstrap.servers", kafka.bootstrapServers());
    p.put("mirror.topic.prefix", "ig");
    RowguardConfig config = RowguardConfig.of(work.resolve("captured.properties"), p, e -> null);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      EndToEnd.drain(capture::journaled, changes);
      while (journal.changeCount() < changes) {
        Thread.sleep(10);
      }
      new Mirror(config, journal, Clock.systemUTC(), out::println)
          .run(0, Mirror.TO_END, () -> false);
    }
  }

  private List<TopicPartition> partitions() {
    return List.of(new TopicPartition("ig.public.ig", 0), new TopicPartition("ig.transaction", 0));
  }

  /**
   * Reads every record of the topics, read_committed, from the start, doing {@code reading} with
   * each; changes per second.
   */
  /** What the baseline consumer does with each record it reads. */
  enum Reading {
    /** counts the bytes */
    BYTES,
    /** parses each key and value into a Jackson tree, as a plain JSON consumer does */
    JACKSON,
    /** decodes each key and value with Kafka Connect's JsonConverter, as a sink connector does */
    CONNECT
  }

  private static final ObjectMapper TREES = new ObjectMapper();

  private double plainConsumer(Reading reading) throws java.io.IOException {
    org.apache.kafka.connect.json.JsonConverter keys =
        new org.apache.kafka.connect.json.JsonConverter();
    keys.configure(Map.of("schemas.enable", "true"), true);
    org.apache.kafka.connect.json.JsonConverter values =
        new org.apache.kafka.connect.json.JsonConverter();
    values.configure(Map.of("schemas.enable", "true"), false);
    Map<String, Object> c = new HashMap<>();
    c.put("bootstrap.servers", kafka.bootstrapServers());
    c.put("isolation.level", "read_committed");
    c.put("enable.auto.commit", "false");
    c.put("max.poll.records", "2000");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.assign(partitions());
      consumer.seekToBeginning(partitions());
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions());
      long records = 0;
      long bytes = 0;
      long first = 0;
      while (!atEnd(consumer, ends)) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          if (first == 0) {
            first = System.nanoTime();
          }
          records++;
          bytes += r.value() == null ? 0 : r.value().length;
          if (r.value() != null && reading == Reading.CONNECT) {
            keys.toConnectData(r.topic(), r.key());
            values.toConnectData(r.topic(), r.value());
          } else if (r.value() != null && reading == Reading.JACKSON) {
            if (r.key() != null) {
              TREES.readTree(r.key());
            }
            TREES.readTree(r.value());
          }
        }
      }
      double seconds = (System.nanoTime() - first) / 1e9;
      if (bytes == 0 || records == 0) {
        throw new IllegalStateException("the plain consumer read nothing");
      }
      return changes / seconds;
    }
  }

  private static boolean atEnd(
      KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> ends) {
    for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** Builds a new journal from the topics; changes per second from the first to the last. */
  private double ingest(int run) throws Exception {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics", "ig.public.ig");
    p.put("source.transaction.topic", "ig.transaction");
    p.put("apply.url", "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres");
    p.put("apply.user", "postgres");
    p.put("journal.dir", work.resolve("ingested" + run).toString());
    RowguardConfig config = RowguardConfig.of(work.resolve("ingest.properties"), p, e -> null);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      return EndToEnd.drain(capture::journaled, changes);
    } finally {
      EndToEnd.deleteTree(config.journalDir());
    }
  }
}
