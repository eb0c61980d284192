package io.rowguard.connectors;

import io.debezium.embedded.Connect;
import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.format.Json;
import io.debezium.engine.spi.OffsetCommitPolicy;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.RecordTranslator;
import io.rowguard.core.RowguardConfig;
import java.nio.charset.StandardCharsets;
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
  private final AtomicLong firstNanos = new AtomicLong();
  private final AtomicLong lastNanos = new AtomicLong();
  private final CountDownLatch finished = new CountDownLatch(1);

  private DebeziumBaseline(RowguardConfig config, Format format) {
    Properties p = DebeziumSettings.engineProperties(config, "baseline");
    p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
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
                      if (RecordTranslator.kind(r.record()) == RecordTranslator.Kind.CHANGE) {
                        seen(0);
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
                      String v = r.value();
                      if (v != null && v.contains("\"op\":\"") && !v.contains("\"op\":\"r\"")) {
                        seen(v.getBytes(StandardCharsets.UTF_8).length);
                      }
                      committer.markProcessed(r);
                    }
                    committer.markBatchFinished();
                  })
              .build();
    }
    this.thread = new Thread(engine, "debezium-baseline");
  }

  private void seen(long bytes) {
    long now = System.nanoTime();
    firstNanos.compareAndSet(0, now);
    lastNanos.set(now);
    jsonBytes.addAndGet(bytes);
    changes.incrementAndGet();
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

  /** UTF-8 bytes of the JSON values of those events ({@link Format#JSON} only). */
  public long jsonBytes() {
    return jsonBytes.get();
  }

  /** Nanoseconds from the first change event to the last so far. */
  public long activeNanos() {
    return lastNanos.get() - firstNanos.get();
  }

  @Override
  public void close() throws Exception {
    Capture.closeEngine(engine, finished);
    thread.join(30_000);
  }
}
