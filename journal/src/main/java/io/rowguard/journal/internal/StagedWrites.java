package io.rowguard.journal.internal;

import java.util.Arrays;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;

/**
 * Puts and deletes staged in Java, in the layout RocksDB gives a write batch's contents ({@code
 * WriteBatch::rep_} in {@code db/write_batch.cc}): a 12-byte header (sequence number, which RocksDB
 * fills in, and record count), then per record a type byte, the column family id when it is not the
 * default one, and the key and value each prefixed by its varint32 length.
 *
 * <p>Capture stages five keys per change; through RocksDB's Java API each would be its own native
 * call copying both arrays. Staged here, a whole part of a batch crosses into RocksDB as one array,
 * and it can do so on another thread. {@code StagedWritesTest} checks the layout against RocksDB's
 * own, byte for byte.
 */
public final class StagedWrites {
  private static final int HEADER = 12;
  private static final byte DELETE = 0x0;
  private static final byte PUT = 0x1;
  private static final byte CF_DELETE = 0x4;
  private static final byte CF_PUT = 0x5;

  private final ColumnFamilyHandle[] handles;
  private final int[] ids;
  private byte[] buf;
  private int len = HEADER;
  private int count;

  /** {@code families}: every column family this will be given, to look their ids up once. */
  public StagedWrites(ColumnFamilyHandle... families) {
    this.handles = families.clone();
    this.ids = new int[families.length];
    for (int i = 0; i < families.length; i++) {
      ids[i] = families[i].getID();
    }
    this.buf = new byte[16 * 1024];
  }

  public void put(ColumnFamilyHandle family, byte[] key, byte[] value) {
    record(family, PUT, CF_PUT, key);
    bytes(value);
  }

  public void delete(ColumnFamilyHandle family, byte[] key) {
    record(family, DELETE, CF_DELETE, key);
  }

  /** Records staged since the last {@link #take()}. */
  public int count() {
    return count;
  }

  /** What is staged, as the contents of a RocksDB write batch; this starts over empty. */
  public byte[] take() {
    buf[8] = (byte) count;
    buf[9] = (byte) (count >>> 8);
    buf[10] = (byte) (count >>> 16);
    buf[11] = (byte) (count >>> 24);
    byte[] rep = Arrays.copyOf(buf, len);
    len = HEADER;
    count = 0;
    return rep;
  }

  /** {@link #take()} as a write batch, which the caller closes. */
  public WriteBatch takeBatch() {
    return new WriteBatch(take());
  }

  private void record(ColumnFamilyHandle family, byte defaultType, byte cfType, byte[] key) {
    int id = id(family);
    ensure(11);
    if (id == 0) {
      buf[len++] = defaultType;
    } else {
      buf[len++] = cfType;
      varint(id);
    }
    bytes(key);
    count++;
  }

  private void bytes(byte[] b) {
    ensure(5 + b.length);
    varint(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
  }

  private void varint(int v) {
    while ((v & ~0x7F) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  private void ensure(int more) {
    if (len + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
  }

  private int id(ColumnFamilyHandle family) {
    for (int i = 0; i < handles.length; i++) {
      if (handles[i] == family) {
        return ids[i];
      }
    }
    throw new IllegalArgumentException("a column family this was not given");
  }
}
