package io.rowguard.journal.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

class StagedWritesTest {
  @TempDir Path dir;

  @Test
  void stagesExactlyWhatRocksDbsOwnWriteBatchHolds() throws Exception {
    try (Db db = new Db(dir)) {
      Random random = new Random(7);
      for (int round = 0; round < 50; round++) {
        StagedWrites staged = new StagedWrites(db.handles.toArray(ColumnFamilyHandle[]::new));
        try (WriteBatch reference = new WriteBatch()) {
          int records = random.nextInt(300);
          for (int i = 0; i < records; i++) {
            ColumnFamilyHandle family = db.handles.get(random.nextInt(db.handles.size()));
            // lengths across the one- and two-byte varint boundary, and large values
            byte[] key = bytes(random, random.nextInt(200));
            if (random.nextInt(5) == 0) {
              staged.delete(family, key);
              reference.delete(family, key);
            } else {
              byte[] value = bytes(random, random.nextInt(4) == 0 ? 20_000 : random.nextInt(300));
              staged.put(family, key, value);
              reference.put(family, key, value);
            }
          }
          assertThat(staged.count()).isEqualTo(records);
          assertThat(staged.take()).isEqualTo(reference.data());
          assertThat(staged.count()).isZero();
        }
      }
    }
  }

  @Test
  void aStagedBatchIsWrittenLikeAnyOther() throws Exception {
    try (Db db = new Db(dir);
        WriteOptions options = new WriteOptions().setSync(true)) {
      StagedWrites staged = new StagedWrites(db.handles.toArray(ColumnFamilyHandle[]::new));
      staged.put(db.handles.get(0), utf8("in default"), utf8("a"));
      staged.put(db.handles.get(2), utf8("k"), utf8("b"));
      staged.put(db.handles.get(2), utf8("gone"), utf8("c"));
      staged.delete(db.handles.get(2), utf8("gone"));
      try (WriteBatch b = staged.takeBatch()) {
        db.db.write(options, b);
      }
      assertThat(db.db.get(db.handles.get(0), utf8("in default"))).isEqualTo(utf8("a"));
      assertThat(db.db.get(db.handles.get(2), utf8("k"))).isEqualTo(utf8("b"));
      assertThat(db.db.get(db.handles.get(2), utf8("gone"))).isNull();
      assertThat(db.db.get(db.handles.get(1), utf8("k"))).isNull();
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A database with the default column family and two more. */
  private static final class Db implements AutoCloseable {
    final DBOptions options =
        new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
    final List<ColumnFamilyHandle> handles = new ArrayList<>();
    final RocksDB db;

    Db(Path dir) throws Exception {
      List<ColumnFamilyDescriptor> families =
          List.of(
              new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
              new ColumnFamilyDescriptor(utf8("one")),
              new ColumnFamilyDescriptor(utf8("two")));
      db = RocksDB.open(options, dir.toString(), families, handles);
    }

    @Override
    public void close() {
      handles.forEach(ColumnFamilyHandle::close);
      db.close();
      options.close();
    }
  }
}
