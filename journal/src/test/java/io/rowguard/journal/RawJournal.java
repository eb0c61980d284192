package io.rowguard.journal;

import io.rowguard.journal.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/** The journal's RocksDB opened directly, to change it behind the journal's back. */
final class RawJournal implements AutoCloseable {
  static final List<String> FAMILIES =
      List.of("default", "log", "rows", "time", "tx", "schemas", "offsets", "txinfo", "actors");

  private final DBOptions options = new DBOptions();
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;

  RawJournal(Path dir) throws RocksDBException {
    List<ColumnFamilyDescriptor> d = new ArrayList<>();
    for (String f : FAMILIES) {
      d.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8)));
    }
    db = RocksDB.open(options, dir.toString(), d, handles);
  }

  ColumnFamilyHandle family(String name) {
    return handles.get(FAMILIES.indexOf(name));
  }

  byte[] get(String family, byte[] key) throws RocksDBException {
    return db.get(family(family), key);
  }

  void put(String family, byte[] key, byte[] value) throws RocksDBException {
    db.put(family(family), key, value);
  }

  void delete(String family, byte[] key) throws RocksDBException {
    db.delete(family(family), key);
  }

  byte[] entry(long seq) throws RocksDBException {
    return get("log", Keys.seq(seq));
  }

  void putEntry(long seq, byte[] value) throws RocksDBException {
    put("log", Keys.seq(seq), value);
  }

  /**
   * Changes entry {@code seq}'s first byte {@code from} to {@code to}, leaving its hash as it was.
   */
  void alter(long seq, char from, char to) throws RocksDBException {
    byte[] v = entry(seq);
    for (int i = 0; i < v.length; i++) {
      if (v[i] == from) {
        v[i] = (byte) to;
        putEntry(seq, v);
        return;
      }
    }
    throw new AssertionError("entry " + seq + " has no '" + from + "'");
  }

  /** Every key of a family. */
  List<byte[]> keys(String family) {
    List<byte[]> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(family(family))) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.add(it.key());
      }
    }
    return out;
  }

  @Override
  public void close() {
    handles.forEach(ColumnFamilyHandle::close);
    db.close();
    options.close();
  }
}
