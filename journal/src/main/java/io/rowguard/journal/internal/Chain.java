package io.rowguard.journal.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The journal's hash chain: every record's hash covers the previous record's hash, its own sequence
 * number and its bytes, so changing, removing or reordering any record breaks every hash after it.
 *
 * <pre>
 * hash(0)   = SHA-256("rowguard journal" 0x00 journalId)
 * hash(seq) = SHA-256(hash(seq - 1) seq:u64 record)
 * </pre>
 *
 * Not thread-safe: one instance per thread.
 */
public final class Chain {
  public static final int HASH_BYTES = 32;

  private final MessageDigest sha;
  private final byte[] seqBytes = new byte[8];

  public Chain() {
    sha = sha256();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** The hash before the first record of the journal {@code journalId}. */
  public static byte[] genesis(byte[] journalId) {
    MessageDigest d = sha256();
    d.update("rowguard journal".getBytes(StandardCharsets.US_ASCII));
    d.update((byte) 0);
    d.update(journalId);
    return d.digest();
  }

  public byte[] link(byte[] previous, long seq, byte[] record) {
    return link(previous, seq, record, 0, record.length);
  }

  public byte[] link(byte[] previous, long seq, byte[] record, int offset, int length) {
    sha.update(previous);
    for (int i = 7; i >= 0; i--) {
      seqBytes[7 - i] = (byte) (seq >>> (8 * i));
    }
    sha.update(seqBytes);
    sha.update(record, offset, length);
    return sha.digest();
  }

  public static String hex(byte[] hash) {
    return HexFormat.of().formatHex(hash);
  }
}
