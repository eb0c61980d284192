package io.rowguard.connectors.internal.kafka;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rowguard.connectors.internal.CaptureSession;
import io.rowguard.connectors.internal.Source;
import io.rowguard.core.KafkaSourceSettings;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine of a journal built from Debezium's topics: a consumer with its partitions assigned
 * explicitly, starting where the journal's stored offsets say; records decoded, put back in the
 * source's order a whole transaction at a time ({@link Reassembly}), and handed to the same
 * journaling consumer rowguard's own engine feeds. The offsets a batch finishes are written in the
 * batch's own journal write.
 */
public final class KafkaIngest implements DebeziumEngine<RecordChangeEvent<SourceRecord>> {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaIngest.class);
  private static final Duration POLL = Duration.ofMillis(50);
  private static final long TOPIC_CHECK_NANOS = 10_000_000_000L;

  private final RowguardConfig config;
  private final KafkaSourceSettings settings;
  private final CaptureSession session;
  private final DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> consumer;
  private final DebeziumEngine.CompletionCallback done;
  private volatile boolean running = true;
  private volatile KafkaConsumer<byte[], byte[]> kafka;

  public KafkaIngest(
      RowguardConfig config,
      CaptureSession session,
      DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> consumer,
      DebeziumEngine.CompletionCallback done) {
    this.config = config;
    this.settings = config.kafkaSource();
    this.session = session;
    this.consumer = consumer;
    this.done = done;
  }

  /** The consumer's settings: the user's {@code kafka.*} a consumer knows, then rowguard's own. */
  static Map<String, Object> consumerConfig(RowguardConfig config, String clientId) {
    Map<String, Object> c = new HashMap<>();
    Set<String> known = ConsumerConfig.configNames();
    config
        .mirror()
        .kafka()
        .forEach(
            (k, v) -> {
              if (known.contains(k)) {
                c.put(k, v);
              }
            });
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaSource().bootstrapServers());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    c.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    c.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    return c;
  }

  @Override
  public void run() {
    Throwable failure = null;
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(
            consumerConfig(config, "rowguard-ingest"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      kafka = c;
      if (running) {
        ingest(c);
      }
    } catch (WakeupException stopping) {
      // close() asked
    } catch (OffsetOutOfRangeException e) {
      failure =
          new IllegalStateException(
              "the journal resumes from offsets Kafka no longer holds ("
                  + e.offsetOutOfRangePartitions()
                  + "): the topics' retention deleted records before they were journaled; the"
                  + " journal lacks those changes (start a new journal.dir from the topics'"
                  + " beginning, or raise retention.ms)",
              e);
    } catch (Throwable t) {
      failure = t;
    }
    if (failure != null && running) {
      done.handle(false, "the Kafka source stopped: " + failure.getMessage(), failure);
    } else {
      done.handle(true, null, null);
    }
  }

  private void ingest(KafkaConsumer<byte[], byte[]> c) throws InterruptedException {
    Journal journal = session.journal();
    Map<TopicPartition, Long> stored = KafkaOffsets.read(journal.offsets());
    TopicPartition markerPartition =
        settings.transactionTopic().isEmpty()
            ? null
            : new TopicPartition(settings.transactionTopic(), 0);
    Reassembly reassembly = new Reassembly(markerPartition, settings.settle().toNanos());
    Source source = Source.of(config);
    TopicDecoder decoder = new TopicDecoder(new Schemaless(source, settings.microTimes()));
    Fidelity fidelity = new Fidelity(source);
    Set<TopicPartition> assigned = new HashSet<>();
    long nextTopicCheck = 0;
    while (running) {
      long now = System.nanoTime();
      if (now - nextTopicCheck >= 0) {
        assignNew(c, stored, reassembly, assigned, now);
        nextTopicCheck = now + TOPIC_CHECK_NANOS;
      }
      ConsumerRecords<byte[], byte[]> polled = c.poll(POLL);
      now = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : polled) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        SourceRecord decoded = decoder.decode(r);
        fidelity.check(decoded);
        reassembly.add(tp, r.offset(), decoded, now);
      }
      for (TopicPartition tp : assigned) {
        OptionalLong lag = c.currentLag(tp);
        reassembly.caughtUp(tp, lag.isPresent() && lag.getAsLong() == 0);
      }
      List<SourceRecord> ready = reassembly.drain(now);
      if (!ready.isEmpty()) {
        List<RecordChangeEvent<SourceRecord>> batch = new ArrayList<>(ready.size());
        for (SourceRecord r : ready) {
          batch.add(() -> r);
        }
        consumer.handleBatch(batch, new Committer(reassembly));
        reassembly.forgetBoundaries();
      }
    }
  }

  /**
   * Assigns the partitions of change topics not read yet: from the stored offset, else the start.
   */
  private void assignNew(
      KafkaConsumer<byte[], byte[]> c,
      Map<TopicPartition, Long> stored,
      Reassembly reassembly,
      Set<TopicPartition> assigned,
      long now) {
    List<TopicPartition> found = new ArrayList<>();
    Map<String, List<PartitionInfo>> topics = c.listTopics(Duration.ofSeconds(30));
    topics.forEach(
        (topic, partitions) -> {
          if (settings.changeTopic(topic) || topic.equals(settings.transactionTopic())) {
            for (PartitionInfo p : partitions) {
              TopicPartition tp = new TopicPartition(topic, p.partition());
              if (!assigned.contains(tp)) {
                found.add(tp);
              }
            }
          }
        });
    if (found.isEmpty()) {
      return;
    }
    assigned.addAll(found);
    c.assign(assigned);
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : found) {
      Long offset = stored.get(tp);
      if (offset == null) {
        fromStart.add(tp);
      } else {
        c.seek(tp, offset);
        reassembly.assign(tp, offset, now);
      }
    }
    if (!fromStart.isEmpty()) {
      Map<TopicPartition, Long> start = c.beginningOffsets(fromStart, Duration.ofSeconds(30));
      for (TopicPartition tp : fromStart) {
        c.seek(tp, start.get(tp));
        reassembly.assign(tp, start.get(tp), now);
      }
    }
    LOG.info("Reading {} partition(s) from Kafka: {}", found.size(), found);
  }

  /** Stores the offsets a boundary released, in the journal write of its batch. */
  private final class Committer
      implements DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> {
    private final Reassembly reassembly;
    private Map<TopicPartition, Long> positions;

    Committer(Reassembly reassembly) {
      this.reassembly = reassembly;
    }

    @Override
    public void markProcessed(RecordChangeEvent<SourceRecord> record) {
      Map<TopicPartition, Long> p = reassembly.positions(record.record());
      if (p != null) {
        positions = p;
      }
    }

    @Override
    public void markProcessed(RecordChangeEvent<SourceRecord> record, DebeziumEngine.Offsets o) {
      markProcessed(record);
    }

    @Override
    public void markBatchFinished() {
      Journal.Batch batch = session.currentBatch();
      if (positions != null && batch != null && !batch.isDone()) {
        batch.putOffsets(KafkaOffsets.encode(positions));
        batch.commit();
      }
    }

    @Override
    public DebeziumEngine.Offsets buildOffsets() {
      throw new UnsupportedOperationException();
    }
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<byte[], byte[]> c = kafka;
    if (c != null) {
      c.wakeup();
    }
  }
}
