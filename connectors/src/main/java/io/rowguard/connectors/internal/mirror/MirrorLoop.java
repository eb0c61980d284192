package io.rowguard.connectors.internal.mirror;

import io.rowguard.connectors.Mirror;
import io.rowguard.connectors.MirrorException;
import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.MirrorSettings;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.ConsumerPositions;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes the journal to Kafka, one Kafka transaction at a time: a run of whole source
 * transactions (or part of one too large for a single Kafka transaction) and the position after it,
 * committed together. A failure aborts the open Kafka transaction, which publishes nothing of it;
 * the mirror then starts over from the position Kafka holds. A broker that is down, slow or
 * refusing only holds the mirror back: it retries with backoff and says what is wrong once per
 * distinct problem.
 */
public final class MirrorLoop {
  /** Changes in one Kafka transaction, at most (a larger source transaction spans several). */
  static final int MAX_CHANGES = 10_000;

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The producer's {@code batch.size} unless {@code kafka.batch.size} says otherwise. */
  public static final int BATCH_BYTES = 256 * 1024;

  /**
   * The producer's {@code compression.type} unless {@code kafka.compression.type} says otherwise:
   * JSON with schemas repeats itself record after record.
   */
  public static final String COMPRESSION = "lz4";

  private static final long POLL_MILLIS = 10;

  /**
   * While capture is behind, the mirror waits this many times as long as each Kafka transaction
   * took before the next: at most a tenth of its time publishing.
   */
  static final int YIELD_FACTOR = 9;

  private static final long MAX_BACKOFF_MILLIS = 30_000;

  private final MirrorSettings settings;
  private final Journal journal;
  private final MirrorRecords records;
  private final PositionTopic positions;
  private final Consumer<String> say;
  private final String transactionalId;
  private final Map<String, Object> producerConfig;

  private KafkaProducer<byte[], byte[]> producer;
  private MirrorPosition position;
  private String lastProblem = "";
  private boolean connected;
  private final Clock clock;
  private long storedSeq = -1;
  private long storedAt;
  private long published;
  private BooleanSupplier captureBehind = () -> false;

  public MirrorLoop(
      MirrorSettings settings,
      SourceBlock source,
      Journal journal,
      Clock clock,
      Consumer<String> say) {
    this.settings = settings;
    this.journal = journal;
    this.say = say;
    this.clock = clock;
    this.records = new MirrorRecords(settings, source, clock);
    String id = journal.id();
    this.transactionalId = "rowguard-mirror-" + settings.topicPrefix() + "-" + id;
    Map<String, Object> common = new HashMap<>();
    common.put("bootstrap.servers", settings.bootstrapServers());
    this.producerConfig = only(ProducerConfig.configNames(), common, settings.kafka());
    producerConfig.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) TIMEOUT.toMillis());
    producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    // records with their schemas are kilobytes: batches of 16 KB (Kafka's default) hold a handful
    producerConfig.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_BYTES);
    producerConfig.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, COMPRESSION);
    producerConfig.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    this.positions =
        new PositionTopic(
            settings.topicPrefix() + ".rowguard-mirror",
            id,
            only(ConsumerConfig.configNames(), common, settings.kafka()),
            only(AdminClientConfig.configNames(), common, settings.kafka()));
  }

  /**
   * Yields to capture while {@code behind} says it is behind its source: the WAL a lagging capture
   * holds is on the production database, what a lagging mirror holds is only in the journal.
   */
  public void yieldTo(BooleanSupplier behind) {
    this.captureBehind = behind;
  }

  /**
   * The Kafka transactional id: one per journal and topic prefix, so a second mirror fences the
   * first.
   */
  public String transactionalId() {
    return transactionalId;
  }

  /**
   * Publishes until {@code stop} says so, or, for a bounded run ({@code untilSeq} below {@code
   * Long.MAX_VALUE}), until everything up to {@code untilSeq} (to the end of its transaction) or up
   * to the journal's end is published.
   *
   * @param fromSeq republish from this change (from the start of its transaction); 0 continues from
   *     the position Kafka holds
   */
  public Mirror.Result run(long fromSeq, long untilSeq, BooleanSupplier stop)
      throws InterruptedException {
    long backoff = 1000;
    published = 0;
    boolean fromApplied = fromSeq <= 0;
    try {
      while (!stop.getAsBoolean()) {
        try {
          if (producer == null) {
            start();
            if (!fromApplied) {
              position = MirrorPosition.at(transactionStart(fromSeq) - 1);
              fromApplied = true;
            }
            records.resume(position);
          }
          connected = true;
          journal.refresh();
          long began = System.nanoTime();
          int n = publishOnce(untilSeq);
          if (n > 0 && captureBehind.getAsBoolean()) {
            long took = System.nanoTime() - began;
            Thread.sleep(Math.min(1000, Math.max(1, took * YIELD_FACTOR / 1_000_000)));
          }
          if (!lastProblem.isEmpty()) {
            say.accept(
                "mirror: Kafka accepts records again; published up to change " + position.seq());
            lastProblem = "";
          }
          backoff = 1000;
          if (n == 0) {
            if (untilSeq != Long.MAX_VALUE) {
              break;
            }
            storeLocally(false); // what the last second's publishing reached, once idle
            Thread.sleep(POLL_MILLIS);
          }
        } catch (ProducerFencedException | TransactionalIdAuthorizationException e) {
          throw new MirrorException(
              e instanceof ProducerFencedException
                  ? "mirror: another mirror of this journal took over (transactional.id "
                      + transactionalId
                      + "); this one stops"
                  : "mirror: not allowed to use transactional.id "
                      + transactionalId
                      + " (grant WRITE and DESCRIBE on it): "
                      + e.getMessage());
        } catch (org.apache.kafka.connect.errors.ConnectException e) {
          // building a record failed: a value the journal holds that Connect's schema refuses
          throw new MirrorException(
              "mirror: cannot build the record of a change after "
                  + position.seq()
                  + ": "
                  + e.getMessage());
        } catch (KafkaException e) {
          if (!connected) {
            // never reached: the configuration, not an outage
            closeProducer();
            throw new InputException(
                "mirror.bootstrap.servers="
                    + settings.bootstrapServers()
                    + ": no Kafka broker answered ("
                    + describe(e)
                    + "); check the address, and kafka.security.protocol and kafka.sasl.* where"
                    + " the brokers need them");
          }
          problem(e);
          closeProducer();
          Thread.sleep(backoff);
          backoff = Math.min(MAX_BACKOFF_MILLIS, backoff * 2);
        }
      }
    } finally {
      closeProducer();
      storeLocally(true);
    }
    return new Mirror.Result(published, position == null ? 0 : position.seq());
  }

  private void start() throws InterruptedException {
    positions.ensureExists(TIMEOUT);
    producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    producer.initTransactions();
    position = positions.read(TIMEOUT).orElse(MirrorPosition.START);
  }

  /** Publishes one Kafka transaction's worth; returns the changes published. */
  private int publishOnce(long untilSeq) {
    List<JournalEntry> batch = new ArrayList<>();
    JournalEntry[] lookahead = {null};
    journal.scan(
        position.seq() + 1,
        e -> {
          String open =
              batch.isEmpty()
                  ? records.openTransaction()
                  : batch.get(batch.size() - 1).event().txId();
          // past the bound, only the rest of the transaction it cuts
          boolean bounded = e.seq() > untilSeq && !e.event().txId().equals(open);
          if (batch.size() >= MAX_CHANGES || bounded) {
            lookahead[0] = bounded && batch.isEmpty() ? null : e;
            return false;
          }
          batch.add(e);
          return true;
        });
    JournalEntry next = lookahead[0];
    if (batch.isEmpty()) {
      return 0;
    }
    producer.beginTransaction();
    AtomicReference<Exception> failed = new AtomicReference<>();
    Map<String, TransactionTag> tags = new HashMap<>();
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (int i = 0; i < batch.size(); i++) {
      JournalEntry e = batch.get(i);
      ChangeEvent c = e.event();
      if (records.begins(c)) {
        out.add(records.begin(c));
      }
      TransactionTag tag = tags.computeIfAbsent(c.txId(), tx -> journal.tag(tx).orElse(null));
      records.change(e, tag, Attribution.of(tag, c).actor(), out);
      JournalEntry after = i + 1 < batch.size() ? batch.get(i + 1) : next;
      // the journal's committed end is always a transaction's end
      if (after == null || !after.event().txId().equals(c.txId())) {
        out.add(records.end(c));
      }
      for (ProducerRecord<byte[], byte[]> r : out) {
        producer.send(
            r,
            (meta, ex) -> {
              if (ex != null) {
                failed.compareAndSet(null, tooLarge(ex, e));
              }
            });
      }
      out.clear();
    }
    long last = batch.get(batch.size() - 1).seq();
    MirrorPosition reached = records.position(last);
    producer.send(positions.record(reached));
    try {
      producer.commitTransaction();
    } catch (KafkaException ex) {
      Exception first = failed.get();
      if (first instanceof MirrorException c) {
        throw c;
      }
      throw ex;
    }
    position = reached;
    published += batch.size();
    storeLocally(false);
    return batch.size();
  }

  /** The name under which the journal keeps this mirror's position. */
  public String consumerName() {
    return "mirror-" + settings.topicPrefix();
  }

  /**
   * Keeps the position in the journal's directory too, at most once a second (and at the end), so
   * that retention keeps what is not yet published and {@code status} shows how far behind it is.
   */
  private void storeLocally(boolean now) {
    if (position == null || position.seq() == storedSeq) {
      return;
    }
    long t = System.nanoTime();
    if (now || t - storedAt >= 1_000_000_000L) {
      ConsumerPositions.store(journal.dir(), consumerName(), position.seq(), clock);
      storedSeq = position.seq();
      storedAt = t;
    }
  }

  /** A record the broker will never take is the mirror's end, named; others are retried. */
  private static Exception tooLarge(Exception ex, JournalEntry e) {
    if (ex instanceof RecordTooLargeException) {
      ChangeEvent c = e.event();
      return new MirrorException(
          "mirror: the change of "
              + c.table()
              + " key "
              + c.key()
              + " (change "
              + e.seq()
              + ", committed "
              + ValueFormat.instant(c.commitMicros())
              + ") is larger than Kafka accepts ("
              + ex.getMessage()
              + "); raise kafka.max.request.size and the topic's max.message.bytes");
    }
    return ex;
  }

  /** The first change of the transaction that holds change {@code seq}. */
  private long transactionStart(long seq) {
    long[] first = {seq};
    String[] tx = {null};
    journal.scanBackward(
        seq,
        e -> {
          if (tx[0] == null) {
            tx[0] = e.event().txId();
          } else if (!e.event().txId().equals(tx[0])) {
            return false;
          }
          first[0] = e.seq();
          return true;
        });
    return first[0];
  }

  /** What went wrong, in Kafka's words: the failure and its root cause's message. */
  private static String describe(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String top = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (root == e) {
      return top;
    }
    String cause = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return top.contains(cause) ? top : top + ": " + cause;
  }

  private void problem(Exception e) {
    String what = describe(e);
    if (!what.equals(lastProblem)) {
      lastProblem = what;
      say.accept(
          "mirror: Kafka at "
              + settings.bootstrapServers()
              + " did not take the records, retrying (capture goes on): "
              + what);
    }
  }

  private void closeProducer() {
    if (producer != null) {
      try {
        producer.close(Duration.ofSeconds(5));
      } catch (KafkaException e) {
        // closing after a failure: nothing more to do
      }
      producer = null;
    }
  }

  private static Map<String, Object> only(
      Set<String> known, Map<String, Object> common, Map<String, String> user) {
    Map<String, Object> out = new HashMap<>(common);
    user.forEach(
        (k, v) -> {
          if (known.contains(k)) {
            out.put(k, v);
          }
        });
    return out;
  }
}
