package io.rowguard.bench.jmh;

import io.rowguard.core.RowKey;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One row's history in a journal of N events (ten versions a row), read the way `rowguard history`
 * reads it: a reader beside the journal. Sample mode reports the percentiles.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HistorySeekBenchmark {
  @Param({"1000000"})
  long events;

  Path dir;
  Journal reader;
  long rows;
  final SplittableRandom random = new SplittableRandom(42);

  @Setup(Level.Trial)
  public void build() throws Exception {
    dir = Files.createTempDirectory("rowguard-jmh-history-");
    rows = Math.max(1, events / 10);
    try (Journal w = Journal.openWriter(dir)) {
      Fixtures.fill(w, events, rows);
      w.compact();
    }
    reader = Journal.openReader(dir);
  }

  @Benchmark
  public int historyOfOneRow() {
    long id = random.nextLong(rows) + 1;
    return reader.history(Fixtures.ORDERS.table(), RowKey.of(List.of("id"), List.of(id))).size();
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    reader.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
