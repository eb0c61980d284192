package io.rowguard.connectors;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.format.Json;
import io.debezium.engine.spi.OffsetCommitPolicy;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.core.RowguardConfig;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Debezium Embedded with a capture's own properties and a consumer that only counts: the ceiling
 * any Debezium-based capture can reach, for benchmarks to measure rowguard against. {@link
 * Format#JSON} is what pipelines that serialize Debezium's envelope (Debezium Server, Kafka
 * Connect) pay on top.
 */
public final class DebeziumBaseline implements AutoCloseable {
  /** How the engine hands records over. */
  public enum Format {
    /** Connect {@code SourceRecord}s, as rowguard reads them */
    CONNECT,
    /** Debezium's JSON envelope, with schemas */
    JSON
  }

  private final DebeziumEngine<?> engine;
  private final Thread thread;
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong jsonBytes = new AtomicLong();
  private final CountDownLatch finished = new CountDownLatch(1);

  private DebeziumBaseline(RowguardConfig config, Format format) {
    Properties p = DebeziumSettings.engineProperties(config, "baseline");
    p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    // a binlog source's schema history in memory: the baseline has no journal to keep it in
    p.put("schema.history.internal", "io.debezium.relational.history.MemorySchemaHistory");
    if (format == Format.CONNECT) {
      this.engine =
          DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
              .using(p)
              .using(OffsetCommitPolicy.always())
              .using((success, message, error) -> finished.countDown())
              .notifying(
                  (java.util.List<RecordChangeEvent<SourceRecord>> records,
                      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>>
                          committer) -> {
                    for (RecordChangeEvent<SourceRecord> r : records) {
                      if (isChange(r.record().topic())) {
                        changes.incrementAndGet();
                      }
                      committer.markProcessed(r);
                    }
                    committer.markBatchFinished();
                  })
              .build();
    } else {
      this.engine =
          DebeziumEngine.create(Json.class)
              .using(p)
              .using(OffsetCommitPolicy.always())
              .using((success, message, error) -> finished.countDown())
              .notifying(
                  (java.util.List<ChangeEvent<String, String>> records,
                      DebeziumEngine.RecordCommitter<ChangeEvent<String, String>> committer) -> {
                    for (ChangeEvent<String, String> r : records) {
                      if (isChange(r.destination()) && r.value() != null) {
                        changes.incrementAndGet();
                        // characters: the benchmark's rows are ASCII, so these are its bytes too
                        jsonBytes.addAndGet(r.value().length());
                      }
                      committer.markProcessed(r);
                    }
                    committer.markBatchFinished();
                  })
              .build();
    }
    this.thread = new Thread(engine, "debezium-baseline");
  }

  /**
   * A row change rather than a transaction marker, heartbeat or message: told by its topic alone,
   * so that counting adds next to nothing to what the baseline measures.
   */
  private static boolean isChange(String topic) {
    return !topic.endsWith(".transaction")
        && !topic.endsWith(".message")
        && !topic.startsWith("__debezium-heartbeat");
  }

  public static DebeziumBaseline start(RowguardConfig config, Format format) {
    DebeziumBaseline b = new DebeziumBaseline(config, format);
    b.thread.start();
    return b;
  }

  /** Change events (inserts, updates, deletes) received so far. */
  public long changes() {
    return changes.get();
  }

  /** Size of the JSON values of those events ({@link Format#JSON} only; ASCII rows). */
  public long jsonBytes() {
    return jsonBytes.get();
  }

  @Override
  public void close() throws Exception {
    Capture.closeEngine(engine, finished);
    thread.join(30_000);
  }
}
