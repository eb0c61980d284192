package io.rowguard.journal.internal;

import io.rowguard.core.BinaryWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The journal's key layout. All numbers are big-endian so that keys sort numerically.
 *
 * <ul>
 *   <li>log: {@code seq:u64}
 *   <li>rows: {@code tableNo:u32 rowKey seq:u64}, one row's versions in commit order
 *   <li>time: {@code tableNo:u32 commitMicros:u64(sign flipped) seq:u64}
 *   <li>tx: {@code txId 0x00 seq:u64}, a transaction's changes in order
 *   <li>txinfo: {@code txId 0x00 seq:u64}, a transaction's notes
 *   <li>actors: {@code actor 0x00 seq:u64}, the changes attributed to an actor
 * </ul>
 */
public final class Keys {
  private Keys() {}

  public static byte[] seq(long seq) {
    return new BinaryWriter(8).writeLong(seq).toByteArray();
  }

  public static long seqAtEnd(byte[] key) {
    long v = 0;
    for (int i = key.length - 8; i < key.length; i++) {
      v = (v << 8) | (key[i] & 0xFF);
    }
    return v;
  }

  public static byte[] rowPrefix(int tableNo, byte[] rowKey) {
    return new BinaryWriter(4 + rowKey.length).writeInt(tableNo).writeBytes(rowKey).toByteArray();
  }

  public static byte[] row(int tableNo, byte[] rowKey, long seq) {
    return new BinaryWriter(12 + rowKey.length)
        .writeInt(tableNo)
        .writeBytes(rowKey)
        .writeLong(seq)
        .toByteArray();
  }

  public static byte[] time(int tableNo, long commitMicros, long seq) {
    return new BinaryWriter(20)
        .writeInt(tableNo)
        .writeLong(commitMicros ^ Long.MIN_VALUE)
        .writeLong(seq)
        .toByteArray();
  }

  public static byte[] timePrefix(int tableNo, long commitMicros) {
    return new BinaryWriter(12)
        .writeInt(tableNo)
        .writeLong(commitMicros ^ Long.MIN_VALUE)
        .toByteArray();
  }

  public static byte[] tablePrefix(int tableNo) {
    return new BinaryWriter(4).writeInt(tableNo).toByteArray();
  }

  public static byte[] txPrefix(String txId) {
    byte[] id = txId.getBytes(StandardCharsets.UTF_8);
    return new BinaryWriter(id.length + 1).writeBytes(id).writeByte(0).toByteArray();
  }

  public static byte[] tx(String txId, long seq) {
    byte[] id = txId.getBytes(StandardCharsets.UTF_8);
    return new BinaryWriter(id.length + 9).writeBytes(id).writeByte(0).writeLong(seq).toByteArray();
  }

  /**
   * The key saying that the rollback noted at {@code seq} undid {@code txId}: the transaction's
   * prefix, a {@code 'u'}, and the sequence number last, as in every index key (so that the
   * transaction's own note keys stay exactly 8 bytes past its prefix).
   */
  public static byte[] undone(String txId, long seq) {
    byte[] id = txId.getBytes(StandardCharsets.UTF_8);
    return new BinaryWriter(id.length + 10)
        .writeBytes(id)
        .writeByte(0)
        .writeByte('u')
        .writeLong(seq)
        .toByteArray();
  }

  public static byte[] actorPrefix(String actor) {
    return txPrefix(actor);
  }

  public static byte[] actor(String actor, long seq) {
    return tx(actor, seq);
  }

  public static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  public static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The smallest key greater than every key that starts with {@code prefix}, or null. */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }
}
