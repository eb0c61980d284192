package io.rowguard.connectors;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.RecordTranslator;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Capture throughput against its ceiling, measured side by side in one run: rowguard journaling
 * into RocksDB vs Debezium Embedded with a consumer that only counts, both draining the same
 * pre-filled replication slot content. Not part of the default build; run with
 *
 * <pre>mvn -B verify -pl connectors -Dit.test=CaptureThroughputIT -Drowguard.bench=true</pre>
 *
 * (-Drowguard.bench.rows=200000 -Drowguard.bench.runs=3 are the defaults).
 */
@EnabledIfSystemProperty(named = "rowguard.bench", matches = "true")
class CaptureThroughputIT {
  static final int ROWS = Integer.getInteger("rowguard.bench.rows", 200_000);
  static final int RUNS = Integer.getInteger("rowguard.bench.runs", 3);

  @TempDir Path dir;

  interface Runner extends AutoCloseable {
    long count();

    @Override
    void close() throws Exception;
  }

  @Test
  void journalingKeepsUpWithDebeziumItself() throws Exception {
    try (PostgresFixture pg = PostgresFixture.start()) {
      Map<String, List<Double>> rates = new HashMap<>();
      List<Double> bytesPerEvent = new ArrayList<>();
      // run 0 warms up the JIT and the server's caches and is not counted
      for (int run = 0; run <= RUNS; run++) {
        for (String variant : List.of("rowguard", "debezium-noop")) {
          String name = "b" + run + "_" + variant.replace('-', '_');
          pg.exec(
              "CREATE TABLE "
                  + name
                  + " (id bigint PRIMARY KEY, a int, b text, c numeric(10,2),"
                  + " d timestamptz)",
              "ALTER TABLE " + name + " REPLICA IDENTITY FULL");
          Map<String, String> props =
              pg.configProperties(dir.resolve(name), "public." + name, name);
          props.put("source.snapshot.mode", "no_data");
          RowguardConfig config =
              RowguardConfig.of(dir.resolve(name + ".properties"), props, e -> null);
          try (Runner r = start(variant, config)) {
            pg.awaitStreaming(config);
          }
          fill(pg, name);
          long t0 = System.nanoTime();
          try (Runner r = start(variant, config)) {
            long deadline = t0 + Duration.ofMinutes(10).toNanos();
            while (r.count() < ROWS && System.nanoTime() < deadline) {
              Thread.sleep(5);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (run > 0) {
              rates.computeIfAbsent(variant, k -> new ArrayList<>()).add(r.count() / seconds);
            }
          }
          if (variant.equals("rowguard") && run > 0) {
            try (Journal j = Journal.openWriter(config.journalDir())) {
              j.compact();
              bytesPerEvent.add((double) j.status().diskBytes() / j.lastSeq());
            }
          }
          pg.exec("DROP TABLE " + name, "SELECT pg_drop_replication_slot('rg_" + name + "')");
        }
      }
      double ours = median(rates.get("rowguard"));
      double ceiling = median(rates.get("debezium-noop"));
      System.out.printf(
          "%ncapture of %,d inserted rows, median of %d runs (2 cores, embedded PostgreSQL 17)%n"
              + "  rowguard -> RocksDB journal   %,10.0f events/s  %s%n"
              + "  Debezium, no-op Connect sink  %,10.0f events/s  %s%n"
              + "  ratio                         %10.2f x%n"
              + "  journal bytes per event       %10.1f (after compaction) %s%n%n",
          ROWS,
          RUNS,
          ours,
          rates.get("rowguard"),
          ceiling,
          rates.get("debezium-noop"),
          ours / ceiling,
          median(bytesPerEvent),
          bytesPerEvent);
    }
  }

  private static void fill(PostgresFixture pg, String table) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      for (int from = 1; from <= ROWS; from += 1000) {
        s.execute(
            "INSERT INTO "
                + table
                + " SELECT g, g % 1000, 'row number ' || g,"
                + " (g % 100000) / 100.0, now() FROM generate_series("
                + from
                + ", "
                + Math.min(ROWS, from + 999)
                + ") g");
      }
    }
  }

  private static Runner start(String variant, RowguardConfig config) throws Exception {
    if (variant.equals("rowguard")) {
      Files.createDirectories(config.journalDir().getParent());
      Journal journal = Journal.openWriter(config.journalDir());
      Capture capture = Capture.start(config, journal);
      return new Runner() {
        @Override
        public long count() {
          return journal.lastSeq();
        }

        @Override
        public void close() {
          capture.close();
          journal.close();
        }
      };
    }
    AtomicLong count = new AtomicLong();
    Properties p = DebeziumSettings.engineProperties(config, "unused");
    p.put("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
    DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(p)
            .using(OffsetCommitPolicy.always())
            .notifying(
                (records, committer) -> {
                  for (RecordChangeEvent<SourceRecord> r : records) {
                    if (RecordTranslator.kind(r.record()) == RecordTranslator.Kind.CHANGE) {
                      count.incrementAndGet();
                    }
                    committer.markProcessed(r);
                  }
                  committer.markBatchFinished();
                })
            .build();
    Thread t = new Thread(engine, "noop-engine");
    t.start();
    LongSupplier c = count::get;
    return new Runner() {
      @Override
      public long count() {
        return c.getAsLong();
      }

      @Override
      public void close() throws Exception {
        Capture.closeEngine(engine, new java.util.concurrent.CountDownLatch(1));
        t.join(30_000);
      }
    };
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
