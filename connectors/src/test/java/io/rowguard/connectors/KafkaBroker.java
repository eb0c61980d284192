package io.rowguard.connectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/** A real single-node KRaft Kafka in this JVM (Kafka's own test kit), for mirror tests. */
public final class KafkaBroker implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KafkaClusterTestKit cluster;

  private KafkaBroker(KafkaClusterTestKit cluster) {
    this.cluster = cluster;
  }

  public static KafkaBroker start() throws Exception {
    KafkaClusterTestKit cluster =
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
            .setConfigProp("auto.create.topics.enable", "true")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return new KafkaBroker(cluster);
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** A record as a read_committed consumer sees it, value and key parsed as JSON (or null). */
  public record Seen(
      String topic, long offset, JsonNode key, JsonNode value, Map<String, String> headers) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  /** Every committed record of the topics that start with {@code prefix}, read to their ends. */
  public List<Seen> readCommitted(String prefix) throws Exception {
    return readCommitted(bootstrapServers(), prefix);
  }

  /** As {@link #readCommitted(String)}, from any broker. */
  public static List<Seen> readCommitted(String bootstrapServers, String prefix) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put("bootstrap.servers", bootstrapServers);
    config.put("isolation.level", "read_committed");
    config.put("enable.auto.commit", "false");
    List<Seen> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Set<String> topics = consumer.listTopics(Duration.ofSeconds(30)).keySet();
      List<TopicPartition> partitions = new ArrayList<>();
      for (String t : topics) {
        if (t.startsWith(prefix + ".")) {
          consumer
              .partitionsFor(t)
              .forEach(p -> partitions.add(new TopicPartition(t, p.partition())));
        }
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + prefix + ".* to the end in 60 s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Map<String, String> headers = new HashMap<>();
          for (Header h : r.headers()) {
            headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
          }
          if (!r.topic().endsWith(".rowguard-mirror")) { // the mirror's own position, not JSON
            out.add(new Seen(r.topic(), r.offset(), parse(r.key()), parse(r.value()), headers));
          }
        }
      }
    }
    return out;
  }

  private static JsonNode parse(byte[] bytes) throws Exception {
    return bytes == null ? null : JSON.readTree(bytes);
  }

  @Override
  public void close() throws Exception {
    cluster.close();
  }
}
