package io.rowguard.journal.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The source's own state, in the offsets family: the source offsets (Debezium's, JSON keys) and the
 * schema history some sources need, kept before them. Both are written with the batch whose entries
 * they produced, and forgotten together.
 */
public final class SourceOffsets {
  // in the offsets family, before every offset key (those are JSON)
  private static final byte[] SCHEMA_HISTORY_PREFIX = {0, 's', 'h', ':'};

  private final Store store;
  private final Families cf;

  public SourceOffsets(Store store) {
    this.store = store;
    this.cf = store.families();
  }

  /**
   * The stored source offsets: never ahead of the entries readers of this instance see (a batch's
   * offsets are read only once its watermark has moved).
   */
  public Map<ByteBuffer, ByteBuffer> offsets() {
    store.checkOpen();
    Map<ByteBuffer, ByteBuffer> out = new HashMap<>();
    synchronized (store.visibilityLock()) {
      read(out);
    }
    return out;
  }

  private void read(Map<ByteBuffer, ByteBuffer> out) {
    try (RocksIterator it = cf.db().newIterator(cf.offsets())) {
      // the schema history's keys begin with a zero byte and sort first; offsets' keys are JSON
      it.seek(Keys.prefixEnd(SCHEMA_HISTORY_PREFIX));
      for (; it.isValid(); it.next()) {
        out.put(ByteBuffer.wrap(it.key()), ByteBuffer.wrap(it.value()));
      }
      store.checkIterator(it, "read offsets");
    }
  }

  /** The stored schema history records, oldest first (see {@link BatchWrite#putSchemaHistory}). */
  public List<byte[]> schemaHistory() {
    store.checkOpen();
    List<byte[]> out = new ArrayList<>();
    try (RocksIterator it = cf.db().newIterator(cf.offsets())) {
      for (it.seek(SCHEMA_HISTORY_PREFIX);
          it.isValid() && Keys.startsWith(it.key(), SCHEMA_HISTORY_PREFIX);
          it.next()) {
        out.add(it.value());
      }
      store.checkIterator(it, "read the schema history");
    }
    return out;
  }

  private long lastSchemaHistoryNumber() {
    try (RocksIterator it = cf.db().newIterator(cf.offsets())) {
      it.seekForPrev(Keys.prefixEnd(SCHEMA_HISTORY_PREFIX));
      long last =
          it.isValid() && Keys.startsWith(it.key(), SCHEMA_HISTORY_PREFIX)
              ? Keys.seqAtEnd(it.key())
              : 0;
      store.checkIterator(it, "read the schema history");
      return last;
    }
  }

  /** Stages the source offsets (a null value removes one) to store with a batch's entries. */
  void stage(StagedWrites writes, Map<ByteBuffer, ByteBuffer> values) {
    for (Map.Entry<ByteBuffer, ByteBuffer> e : values.entrySet()) {
      byte[] key = bytes(e.getKey());
      if (e.getValue() == null) {
        writes.delete(cf.offsets(), key);
      } else {
        writes.put(cf.offsets(), key, bytes(e.getValue()));
      }
    }
  }

  /** Stages schema history records to store with a batch, after those stored already. */
  void stageSchemaHistory(StagedWrites writes, List<byte[]> records) {
    long next = lastSchemaHistoryNumber() + 1;
    for (byte[] r : records) {
      writes.put(cf.offsets(), Keys.concat(SCHEMA_HISTORY_PREFIX, Keys.seq(next++)), r);
    }
  }

  /** Deletes the stored offsets in {@code b}. */
  void forget(WriteBatch b) throws RocksDBException {
    // with the offsets, the schema history they belong to
    b.deleteRange(cf.offsets(), SCHEMA_HISTORY_PREFIX, Keys.prefixEnd(SCHEMA_HISTORY_PREFIX));
    for (ByteBuffer key : offsets().keySet()) {
      b.delete(cf.offsets(), bytes(key));
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
