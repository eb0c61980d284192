package io.rowguard.journal.internal;

import java.nio.ByteBuffer;
import org.rocksdb.RocksIterator;

/**
 * Reads the log at rising sequence numbers: one table's changes in time order are mostly neighbours
 * in the log, so stepping an iterator beats a lookup per entry.
 */
public final class LogCursor implements AutoCloseable {
  /** Farther than this ahead, a seek is cheaper than stepping. */
  private static final long STEPS = 16;

  private final Store store;
  private final RocksIterator it;
  private final ByteBuffer key = ByteBuffer.allocateDirect(16);
  private ByteBuffer valueBuffer = ByteBuffer.allocateDirect(4096);
  private byte[] value = new byte[4096];
  private int valueLength;
  private long at = -1;

  public LogCursor(Store store) {
    this.store = store;
    this.it = store.families().db().newIterator(store.families().log());
  }

  /** The length of what the last {@link #value} returned holds. */
  public int valueLength() {
    return valueLength;
  }

  public byte[] value(long seq) {
    if (at < 0 || seq < at || seq - at > STEPS) {
      it.seek(Keys.seq(seq));
    }
    while (it.isValid()) {
      key.clear();
      int length = it.key(key); // into a buffer that is reused: no array per entry
      at = key.getLong(length - Long.BYTES);
      if (at >= seq) {
        break;
      }
      it.next();
    }
    if (!it.isValid()) {
      store.checkIterator(it, "read entry " + seq);
      at = -1;
      return null;
    }
    if (at != seq) {
      return null;
    }
    // into buffers that are reused (the decoder copies out what it keeps): no array per entry
    valueBuffer.clear();
    int length = it.value(valueBuffer);
    if (length > valueBuffer.capacity()) {
      valueBuffer = ByteBuffer.allocateDirect(Integer.highestOneBit(length) * 2);
      it.value(valueBuffer);
    }
    if (length > value.length) {
      value = new byte[valueBuffer.capacity()];
    }
    valueBuffer.get(value, 0, length);
    valueLength = length;
    return value;
  }

  @Override
  public void close() {
    it.close();
  }
}
