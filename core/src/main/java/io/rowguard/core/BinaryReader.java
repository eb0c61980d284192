package io.rowguard.core;

import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link BinaryWriter} wrote. Reading past the end throws {@link IllegalStateException}
 * naming the offset: callers turn it into a corruption error that names the record.
 */
public final class BinaryReader {
  private final byte[] buf;
  private int pos;
  private final int end;

  public BinaryReader(byte[] buf) {
    this(buf, 0, buf.length);
  }

  public BinaryReader(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.end = offset + length;
  }

  private void need(int n) {
    if (n < 0 || pos + n > end) {
      throw new IllegalStateException(
          "truncated data: need " + n + " bytes at offset " + pos + " of " + end);
    }
  }

  public int readByte() {
    need(1);
    return buf[pos++] & 0xFF;
  }

  public byte[] readBytes(int n) {
    need(n);
    byte[] out = new byte[n];
    System.arraycopy(buf, pos, out, 0, n);
    pos += n;
    return out;
  }

  public long readLong() {
    need(8);
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (buf[pos++] & 0xFF);
    }
    return v;
  }

  public int readInt() {
    need(4);
    int v = 0;
    for (int i = 0; i < 4; i++) {
      v = (v << 8) | (buf[pos++] & 0xFF);
    }
    return v;
  }

  public long readVarLong() {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalStateException("malformed varint at offset " + pos);
  }

  public int readVarInt() {
    long v = readVarLong();
    if (v < 0 || v > Integer.MAX_VALUE) {
      throw new IllegalStateException("length " + v + " out of range at offset " + pos);
    }
    return (int) v;
  }

  public long readSignedVarLong() {
    long v = readVarLong();
    return (v >>> 1) ^ -(v & 1);
  }

  public byte[] readBlob() {
    return readBytes(readVarInt());
  }

  public String readString() {
    int n = readVarInt();
    need(n);
    String s = new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  /**
   * Reads a string, returning {@code a} or {@code b} (either may be null) instead of a new one when
   * it is equal to the stored ASCII text: repeated values (a column an update left alone, a
   * constant a mass write set) are then held once.
   */
  public String readString(String a, String b) {
    int n = readVarInt();
    need(n);
    String s =
        asciiEquals(a, n)
            ? a
            : asciiEquals(b, n) ? b : new String(buf, pos, n, StandardCharsets.UTF_8);
    pos += n;
    return s;
  }

  private boolean asciiEquals(String candidate, int n) {
    if (candidate == null || candidate.length() != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      byte b = buf[pos + i];
      if (b < 0 || b != candidate.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  public String readNullableString() {
    int n = readVarInt();
    if (n == 0) {
      return null;
    }
    need(n - 1);
    String s = new String(buf, pos, n - 1, StandardCharsets.UTF_8);
    pos += n - 1;
    return s;
  }

  public boolean hasRemaining() {
    return pos < end;
  }

  public int position() {
    return pos;
  }
}
