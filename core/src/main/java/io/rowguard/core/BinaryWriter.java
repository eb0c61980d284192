package io.rowguard.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the primitive encodings rowguard's formats are built from. */
public final class BinaryWriter {
  private byte[] buf;
  private int size;

  public BinaryWriter() {
    this(256);
  }

  public BinaryWriter(int capacity) {
    buf = new byte[Math.max(16, capacity)];
  }

  private void ensure(int extra) {
    if (size + extra > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }
  }

  public BinaryWriter writeByte(int b) {
    ensure(1);
    buf[size++] = (byte) b;
    return this;
  }

  public BinaryWriter writeBytes(byte[] bytes) {
    return writeBytes(bytes, 0, bytes.length);
  }

  public BinaryWriter writeBytes(byte[] bytes, int offset, int length) {
    ensure(length);
    System.arraycopy(bytes, offset, buf, size, length);
    size += length;
    return this;
  }

  /** Big-endian, so that encoded keys sort numerically for non-negative values. */
  public BinaryWriter writeLong(long v) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buf[size++] = (byte) (v >>> shift);
    }
    return this;
  }

  public BinaryWriter writeInt(int v) {
    ensure(4);
    for (int shift = 24; shift >= 0; shift -= 8) {
      buf[size++] = (byte) (v >>> shift);
    }
    return this;
  }

  /** Unsigned LEB128. */
  public BinaryWriter writeVarLong(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
    return this;
  }

  /** Zig-zag then LEB128: small negative numbers stay small. */
  public BinaryWriter writeSignedVarLong(long v) {
    return writeVarLong((v << 1) ^ (v >> 63));
  }

  public BinaryWriter writeBlob(byte[] bytes) {
    writeVarLong(bytes.length);
    return writeBytes(bytes);
  }

  public BinaryWriter writeString(String s) {
    return writeBlob(s.getBytes(StandardCharsets.UTF_8));
  }

  /** A string that may be null. */
  public BinaryWriter writeNullableString(String s) {
    if (s == null) {
      return writeVarLong(0);
    }
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    writeVarLong(bytes.length + 1L);
    return writeBytes(bytes);
  }

  public int size() {
    return size;
  }

  public void reset() {
    size = 0;
  }

  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }
}
