package io.rowguard.connectors.internal.mirror;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The compacted topic that holds the mirror's position, keyed by journal id, written in the same
 * Kafka transaction as the records it covers and read back with {@code read_committed}: the way
 * Kafka Connect's exactly-once source support (KIP-618) keeps source offsets.
 */
final class PositionTopic {
  private final String topic;
  private final byte[] key;
  private final Map<String, Object> consumerConfig;
  private final Map<String, Object> adminConfig;

  PositionTopic(
      String topic,
      String journalId,
      Map<String, Object> consumerConfig,
      Map<String, Object> adminConfig) {
    this.topic = topic;
    this.key = journalId.getBytes(StandardCharsets.UTF_8);
    this.consumerConfig = consumerConfig;
    this.adminConfig = adminConfig;
  }

  String name() {
    return topic;
  }

  /** Creates the topic, compacted, unless it exists. */
  void ensureExists(Duration timeout) throws InterruptedException {
    try (Admin admin = Admin.create(adminConfig)) {
      NewTopic t =
          new NewTopic(topic, Optional.of(1), Optional.empty())
              .configs(
                  Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
      admin.createTopics(List.of(t)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e.getCause() instanceof KafkaException k
            ? k
            : new KafkaException("create topic " + topic + ": " + e.getCause(), e.getCause());
      }
    } catch (java.util.concurrent.TimeoutException e) {
      throw new org.apache.kafka.common.errors.TimeoutException(
          "no broker answered within " + timeout.toSeconds() + " s to create topic " + topic);
    }
  }

  /**
   * The newest committed position of this journal, read to the topic's end; empty when it has none.
   * Call after the producer's {@code initTransactions}, which ends any transaction a previous
   * mirror left open, so that the end is not held back by it.
   */
  Optional<MirrorPosition> read(Duration timeout) {
    Map<String, Object> config = new java.util.HashMap<>(consumerConfig);
    config.put("isolation.level", "read_committed");
    config.put("enable.auto.commit", "false");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, timeout).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
      MirrorPosition found = null;
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p, timeout) < ends.get(p))) {
        if (System.nanoTime() > deadline) {
          throw new org.apache.kafka.common.errors.TimeoutException(
              "could not read topic " + topic + " to its end within " + timeout.toSeconds() + " s");
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.key() != null && Arrays.equals(r.key(), key) && r.value() != null) {
            found = MirrorPosition.decode(r.value());
          }
        }
      }
      return Optional.ofNullable(found);
    }
  }

  /** The record that stores {@code position}, for the producer's open transaction. */
  ProducerRecord<byte[], byte[]> record(MirrorPosition position) {
    return new ProducerRecord<>(topic, key, position.encode());
  }
}
