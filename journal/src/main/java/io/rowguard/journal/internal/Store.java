package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.journal.JournalException;
import io.rowguard.journal.JournalInUseException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open journal's RocksDB: its options, column families and write options, the thread that writes
 * parts of a batch ahead, and whether the journal is open, failed or closed. Every RocksDB failure
 * leaves here as a {@link JournalException} naming the journal and the operation.
 */
public final class Store {
  private static final Logger LOG = LoggerFactory.getLogger(Store.class);

  private static final String CF_LOG = "log";
  private static final List<String> FAMILIES =
      List.of("default", CF_LOG, "rows", "time", "tx", "schemas", "offsets", "txinfo", "actors");

  /** How much write-ahead log the writer keeps before it flushes the oldest memtables. */
  static final long MAX_WAL_BYTES = 64L << 20;

  /** Journals open for writing in this process (RocksDB's file lock does not see them). */
  private static final Set<Path> OPEN_WRITERS = ConcurrentHashMap.newKeySet();

  private enum State {
    OPEN,
    FAILED,
    CLOSED
  }

  private final Path dir;
  private final boolean writer;
  private final Path secondaryDir;
  private final DBOptions dbOptions;
  private final List<ColumnFamilyOptions> cfOptions;
  private final List<ColumnFamilyHandle> handles;
  private final Families cf;
  private final WriteOptions syncWrite;
  private final WriteOptions bufferedWrite;
  // writes the parts of a batch in the background while the batch goes on being encoded
  private ExecutorService partWriter;
  private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);

  /** Why the journal failed, when it did: later calls report this, not just "failed". */
  private volatile JournalException failure;

  /** What a later call throws for {@link #failure} (a constructor of the API's own package). */
  private final UnaryOperator<JournalException> failedBefore;

  private Store(Path dir, boolean writer, UnaryOperator<JournalException> failedBefore) {
    this.dir = dir;
    this.writer = writer;
    this.failedBefore = failedBefore;
    this.dbOptions =
        new DBOptions()
            .setCreateIfMissing(writer)
            .setCreateMissingColumnFamilies(writer)
            .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
            .setKeepLogFileNum(2)
            .setMaxOpenFiles(-1);
    if (writer) {
      // a reader (every command) replays the write-ahead log not yet flushed into tables when it
      // opens: bounded, it costs a reader tens of milliseconds, not seconds
      dbOptions.setMaxTotalWalSize(MAX_WAL_BYTES);
    }
    this.cfOptions = new ArrayList<>();
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : FAMILIES) {
      ColumnFamilyOptions o = new ColumnFamilyOptions();
      if (name.equals(CF_LOG)) {
        o.setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION);
      }
      cfOptions.add(o);
      descriptors.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.UTF_8), o));
    }
    this.handles = new ArrayList<>();
    RocksDB db;
    try {
      if (writer) {
        this.secondaryDir = null;
        db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      } else {
        this.secondaryDir = Files.createTempDirectory("rowguard-reader-");
        db =
            RocksDB.openAsSecondary(
                dbOptions, dir.toString(), secondaryDir.toString(), descriptors, handles);
      }
    } catch (RocksDBException | IOException e) {
      closeOptions();
      String m = String.valueOf(e.getMessage());
      if (m.contains("While lock file") || m.contains("lock hold by current process")) {
        throw new JournalInUseException(dir);
      }
      throw new JournalException(dir, writer ? "open" : "open for reading", e);
    }
    this.cf =
        new Families(
            db,
            handles.get(0),
            handles.get(1),
            handles.get(2),
            handles.get(3),
            handles.get(4),
            handles.get(5),
            handles.get(6),
            handles.get(7),
            handles.get(8));
    this.syncWrite = new WriteOptions().setSync(true);
    this.bufferedWrite = new WriteOptions();
  }

  /**
   * Opens (creating it if missing) the journal's RocksDB for the one process that writes it.
   *
   * @param failedBefore makes what later calls throw after a failed write, from that failure
   */
  public static Store openWriter(Path dir, UnaryOperator<JournalException> failedBefore) {
    return new Store(dir, true, failedBefore);
  }

  /** Opens the journal's RocksDB as a secondary instance, beside a writer. */
  public static Store openReader(Path dir, UnaryOperator<JournalException> failedBefore) {
    Store s = null;
    for (int attempt = 1; s == null; attempt++) {
      try {
        s = new Store(dir, false, failedBefore);
      } catch (JournalException e) {
        // a capture creating the journal right now has not created every column family yet
        if (attempt == 50 || !String.valueOf(e.getMessage()).contains("Column family not found")) {
          throw e;
        }
        sleep(100);
      }
    }
    return s;
  }

  public static boolean isOpenForWriting(Path dir) {
    return OPEN_WRITERS.contains(dir.toAbsolutePath().normalize());
  }

  /** Counts this writer among the journals open for writing in this process, until it closes. */
  public void registerWriter() {
    OPEN_WRITERS.add(dir.toAbsolutePath().normalize());
  }

  public Path dir() {
    return dir;
  }

  public boolean isWriter() {
    return writer;
  }

  public Families families() {
    return cf;
  }

  public WriteOptions syncWrite() {
    return syncWrite;
  }

  /** A buffer for a write to every column family of this store. */
  StagedWrites stagedWrites() {
    return new StagedWrites(handles.toArray(ColumnFamilyHandle[]::new));
  }

  private final Object visibility = new Object();

  /**
   * Held while a batch is written and made visible (its watermark moved), and while the stored
   * source offsets are read: the offsets a reader of this instance sees are never those of a batch
   * whose entries it cannot see yet.
   */
  public Object visibilityLock() {
    return visibility;
  }

  private synchronized ExecutorService partWriter() {
    if (partWriter == null) {
      partWriter =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "rowguard-journal-writer");
                t.setDaemon(true);
                return t;
              });
    }
    return partWriter;
  }

  /** Writes a part of a batch ({@link StagedWrites#take()}), unsynced, in the background. */
  Future<?> writeAhead(byte[] part) {
    return partWriter()
        .submit(
            () -> {
              try (WriteBatch b = new WriteBatch(part)) {
                cf.db().write(bufferedWrite, b);
              }
              return null;
            });
  }

  /** Catches a secondary instance up with the writer's latest committed state. */
  public void catchUpWithPrimary() {
    try {
      cf.db().tryCatchUpWithPrimary();
    } catch (RocksDBException e) {
      throw new JournalException(dir, "catch up with the writer", e);
    }
  }

  public byte[] get(ColumnFamilyHandle family, byte[] key, String operation) {
    try {
      return cf.db().get(family, key);
    } catch (RocksDBException e) {
      throw new JournalException(dir, operation, e);
    }
  }

  public long readCounter(byte[] key) {
    byte[] v = get(cf.meta(), key, "read a counter");
    return v == null ? 0 : new BinaryReader(v).readLong();
  }

  public void checkIterator(RocksIterator it, String operation) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new JournalException(dir, operation, e);
    }
  }

  /** Compacts every column family. */
  public void compact() {
    try {
      for (ColumnFamilyHandle h : handles) {
        cf.db().compactRange(h);
      }
    } catch (RocksDBException e) {
      throw new JournalException(dir, "compact", e);
    }
  }

  /** Compacts the log up to {@code lastSeq}, so that pruned records leave the disk. */
  public void compactLog(long lastSeq) {
    try {
      cf.db().compactRange(cf.log(), Keys.seq(0), Keys.seq(lastSeq + 1));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "compact the pruned log", e);
    }
  }

  /** The bytes of the store's table and log files; -1 when they cannot be listed. */
  public long diskBytes() {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              p ->
                  p.getFileName().toString().endsWith(".sst")
                      || p.getFileName().toString().endsWith(".log"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      return -1;
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new JournalException(Path.of(""), "interrupted");
    }
  }

  public void checkOpen() {
    State s = state.get();
    if (s == State.FAILED && failure != null) {
      throw failedBefore.apply(failure);
    }
    if (s != State.OPEN) {
      throw new JournalException(dir, "is " + s.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Stops the journal after a failed write: nothing more is written until it is reopened. */
  JournalException fail(JournalException e) {
    if (state.compareAndSet(State.OPEN, State.FAILED)) {
      failure = e;
    }
    return e;
  }

  /** Closes column families, then the database, then options. Safe to call twice. */
  public void close() {
    if (state.getAndSet(State.CLOSED) == State.CLOSED) {
      return;
    }
    if (writer) {
      OPEN_WRITERS.remove(dir.toAbsolutePath().normalize());
    }
    ExecutorService parts;
    synchronized (this) {
      parts = partWriter;
    }
    if (parts != null) {
      // a part still being written must finish before the database closes under it
      parts.shutdown();
      try {
        parts.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (syncWrite != null) {
      syncWrite.close();
    }
    if (bufferedWrite != null) {
      bufferedWrite.close();
    }
    if (writer && cf != null && failure == null) {
      // what the write-ahead log holds goes into tables, so that readers of a stopped journal
      // open without replaying it
      try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
        cf.db().flush(flush, handles);
      } catch (RocksDBException e) {
        LOG.debug("Flushing the journal {} on close failed; readers replay its log", dir, e);
      }
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    if (cf != null) {
      cf.db().close();
    }
    closeOptions();
    if (secondaryDir != null) {
      deleteRecursively(secondaryDir);
    }
  }

  private void closeOptions() {
    dbOptions.close();
    cfOptions.forEach(ColumnFamilyOptions::close);
  }

  private static void deleteRecursively(Path p) {
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      LOG.debug("Could not delete {}", p, e);
    }
  }
}
