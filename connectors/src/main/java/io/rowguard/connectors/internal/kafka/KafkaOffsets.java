package io.rowguard.connectors.internal.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * The Kafka positions a journal built from Debezium's topics resumes from, stored in the journal's
 * offsets beside its entries (in the same write batch): for each partition, the offset of the first
 * record not journaled yet. Nothing is committed to a consumer group.
 */
final class KafkaOffsets {
  private static final String KEY_START = "kafka-partition:";

  private KafkaOffsets() {}

  /** The stored positions, by partition. */
  static Map<TopicPartition, Long> read(Map<ByteBuffer, ByteBuffer> stored) {
    Map<TopicPartition, Long> out = new HashMap<>();
    stored.forEach(
        (k, v) -> {
          String key = StandardCharsets.UTF_8.decode(k.duplicate()).toString();
          if (key.startsWith(KEY_START)) {
            int at = key.lastIndexOf('@');
            out.put(
                new TopicPartition(
                    key.substring(KEY_START.length(), at), Integer.parseInt(key.substring(at + 1))),
                Long.parseLong(StandardCharsets.UTF_8.decode(v.duplicate()).toString()));
          }
        });
    return out;
  }

  /** {@code positions} in the journal's offset form. */
  static Map<ByteBuffer, ByteBuffer> encode(Map<TopicPartition, Long> positions) {
    Map<ByteBuffer, ByteBuffer> out = new HashMap<>();
    positions.forEach(
        (tp, offset) ->
            out.put(
                ByteBuffer.wrap(
                    (KEY_START + tp.topic() + "@" + tp.partition())
                        .getBytes(StandardCharsets.UTF_8)),
                ByteBuffer.wrap(Long.toString(offset).getBytes(StandardCharsets.UTF_8))));
    return out;
  }
}
