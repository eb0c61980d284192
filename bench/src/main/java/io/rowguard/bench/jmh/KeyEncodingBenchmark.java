package io.rowguard.bench.jmh;

import io.rowguard.core.RowKey;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A row key built from a change's values and given its order-preserving encoding, as capture does
 * for every change it journals.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeyEncodingBenchmark {
  static final List<String> SINGLE = List.of("id");
  static final List<String> COMPOSITE = List.of("order_id", "line", "sku");
  long id = 123_456_789L;

  @Benchmark
  public byte[] singleBigint() {
    return RowKey.of(SINGLE, List.of(id++)).encode();
  }

  @Benchmark
  public byte[] compositeIntIntText() {
    return RowKey.of(COMPOSITE, List.of(id++, 7, "SKU-0042-BLUE")).encode();
  }
}
