package io.rowguard.bench.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Row;
import io.rowguard.core.ValueCodec;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * An update's before and after images in the journal's exact binary form, against the same images
 * as a JSON object of column names and values (Jackson), the baseline: what a JSON envelope pays
 * before it adds any schema.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EventEncodingBenchmark {
  final ChangeEvent update = Fixtures.update(42, 7, 0);
  final BinaryWriter out = new BinaryWriter(512);

  static final ObjectMapper JSON = new ObjectMapper();

  @Benchmark
  public int encodeUpdateAsJsonBaseline() throws Exception {
    Map<String, Object> envelope = new LinkedHashMap<>();
    envelope.put("before", asMap(update.before()));
    envelope.put("after", asMap(update.after()));
    return JSON.writeValueAsBytes(envelope).length;
  }

  static Map<String, Object> asMap(Row row) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < row.size(); i++) {
      m.put(row.schema().column(i).name(), row.get(i));
    }
    return m;
  }

  @Benchmark
  public int encodeUpdate() {
    out.reset();
    ValueCodec.writeRow(out, update.before());
    ValueCodec.writeRow(out, update.after());
    return out.size();
  }
}
