package io.rowguard.journal.internal;

import org.rocksdb.RocksDB;

/**
 * RocksDB's native library, loaded before any RocksDB class is used: every entry point of the
 * journal module calls {@link #load()}. A class such as {@code BackupEngineOptions} touched first
 * in a fresh JVM otherwise fails with an {@link UnsatisfiedLinkError}.
 */
public final class RocksNative {
  private RocksNative() {}

  /** Loads the library once; later calls return at once. */
  public static void load() {
    Holder.touch();
  }

  private static final class Holder {
    static {
      RocksDB.loadLibrary();
    }

    static void touch() {}
  }
}
