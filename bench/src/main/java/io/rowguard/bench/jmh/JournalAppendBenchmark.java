package io.rowguard.bench.jmh;

import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.ValueCodec;
import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * One journal batch as capture writes it: N updates with full images, their indexes, chain hashes
 * and the source offsets, in one fsynced RocksDB write. The baseline writes the same encoded images
 * to a bare RocksDB, one key per change and one fsynced write per batch: the least any
 * RocksDB-backed journal does, so the ratio is what the hash chain and the three indexes cost.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class JournalAppendBenchmark {
  @Param({"1000"})
  int events;

  Path dir;
  Journal journal;
  RocksDB bare;
  Options bareOptions;
  WriteOptions sync;
  final BinaryWriter buffer = new BinaryWriter(512);
  long bareSeq;
  long tx;
  long next;

  @Setup(Level.Trial)
  public void open() throws Exception {
    dir = Files.createTempDirectory("rowguard-jmh-append-");
    journal = Journal.openWriter(dir.resolve("journal"));
    RocksDB.loadLibrary();
    bareOptions = new Options().setCreateIfMissing(true);
    bare = RocksDB.open(bareOptions, dir.resolve("bare").toString());
    sync = new WriteOptions().setSync(true);
  }

  @Benchmark
  public long bareRocksDbBaseline() throws Exception {
    try (WriteBatch batch = new WriteBatch()) {
      for (int i = 0; i < events; i++) {
        ChangeEvent e = Fixtures.update(next++ % 100_000 + 1, tx, i);
        buffer.reset();
        ValueCodec.writeRow(buffer, e.before());
        ValueCodec.writeRow(buffer, e.after());
        batch.put(ByteBuffer.allocate(8).putLong(bareSeq++).array(), buffer.toByteArray());
      }
      tx++;
      bare.write(sync, batch);
    }
    return next;
  }

  @Benchmark
  public long appendBatch() {
    try (Journal.Batch b = journal.newBatch()) {
      for (int i = 0; i < events; i++) {
        b.append(Fixtures.update(next++ % 100_000 + 1, tx, i));
      }
      b.markCommitted();
      b.putOffsets(Fixtures.offsets(tx++));
      b.commit();
    }
    return next;
  }

  @TearDown(Level.Trial)
  public void close() throws Exception {
    journal.close();
    bare.close();
    bareOptions.close();
    sync.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
