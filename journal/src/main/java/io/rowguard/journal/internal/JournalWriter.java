package io.rowguard.journal.internal;

import io.rowguard.core.TableId;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.function.LongFunction;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The writing side of a journal open for writing: the sequence number and chain hash the next
 * record gets, the changes counted, what the notes of the source transactions still arriving said,
 * and the base versions that wait for their transaction to commit. One batch ({@link BatchWrite})
 * at a time holds the write lock; the journal's own records (retention, gaps, the binding) take it
 * between two batches, and are written only between two source transactions.
 */
public final class JournalWriter {
  final Store store;
  final JournalView view;
  final LogReads logReads;
  final IndexReads indexReads;
  final TransactionNotes notes;
  final SourceOffsets sourceOffsets;
  private final Families cf;
  private final Path dir;

  // Writer state: changed under writeLock (held by an open Batch, or by a system record append).
  private final Semaphore writeLock = new Semaphore(1);
  long nextSeq;
  byte[] lastHash;
  volatile long appended;
  long pendingChanges;
  final Map<String, TransactionTag> openTags = new HashMap<>();
  final List<BasedMark> pendingBased = new ArrayList<>();

  /** A table's base version, journaled up to {@code seq} (exclusive). */
  record BasedMark(TableId table, long micros, long seq) {}

  private BatchWrite openBatch;

  public JournalWriter(
      Store store,
      JournalView view,
      LogReads logReads,
      IndexReads indexReads,
      TransactionNotes notes,
      SourceOffsets sourceOffsets) {
    this.store = store;
    this.view = view;
    this.logReads = logReads;
    this.indexReads = indexReads;
    this.notes = notes;
    this.sourceOffsets = sourceOffsets;
    this.cf = store.families();
    this.dir = store.dir();
  }

  /** Continues the journal from its watermark, once it is open and its incomplete tail dropped. */
  public void resume() {
    followWatermark();
    appended = store.readCounter(MetaKeys.APPENDED);
  }

  /** The next record follows the watermark and chains to its hash. */
  private void followWatermark() {
    nextSeq = view.watermark() + 1;
    lastHash = hashAt(view.watermark());
  }

  /** Changes ever committed: counted here, not read. */
  public long appended() {
    return appended;
  }

  /**
   * Starts a batch. One batch at a time; a batch not committed leaves no trace. Waits while a
   * journal record of its own (retention, gap) is being written.
   */
  public BatchWrite begin() {
    writeLock.acquireUninterruptibly();
    if (openBatch != null) {
      writeLock.release();
      throw new IllegalStateException("a batch is already open on journal " + dir);
    }
    openBatch = new BatchWrite(this);
    return openBatch;
  }

  /** Ends the open batch: the next may start. */
  void release() {
    openBatch = null;
    writeLock.release();
  }

  /**
   * Appends one of the journal's own records (retention, gap) and moves the watermark past it, with
   * {@code metaPuts(seq)} written in the same write. Only possible between source transactions:
   * returns -1, writing nothing, while one is still arriving; else the record's sequence number.
   */
  public long appendSystemRecord(byte[] record, LongFunction<Map<byte[], byte[]>> metaPuts) {
    return appendSystemRecord(record, metaPuts, false);
  }

  public long appendSystemRecord(
      byte[] record, LongFunction<Map<byte[], byte[]>> metaPuts, boolean forgetOffsets) {
    store.checkOpen();
    writeLock.acquireUninterruptibly();
    try {
      if (view.watermark() != nextSeq - 1) {
        return -1;
      }
      long s = nextSeq;
      byte[] hash = new Chain().link(lastHash, s, record);
      try (WriteBatch b = new WriteBatch()) {
        b.put(cf.log(), Keys.seq(s), LogRecords.value(record, hash));
        b.put(cf.meta(), MetaKeys.WATERMARK, Keys.seq(s));
        b.put(cf.meta(), MetaKeys.HEAD, hash);
        for (Map.Entry<byte[], byte[]> e : metaPuts.apply(s).entrySet()) {
          b.put(cf.meta(), e.getKey(), e.getValue());
        }
        if (forgetOffsets) {
          sourceOffsets.forget(b);
        }
        cf.db().write(store.syncWrite(), b);
      } catch (RocksDBException e) {
        throw store.fail(new JournalException(dir, "write journal record " + s, e));
      }
      nextSeq = s + 1;
      lastHash = hash;
      view.moveWatermark(s);
      return s;
    } finally {
      writeLock.release();
    }
  }

  /**
   * Appends {@code record} between two source transactions, waiting up to {@code timeoutMillis} for
   * one; returns its sequence number.
   */
  public long appendSystemRecordWaiting(
      byte[] record, LongFunction<Map<byte[], byte[]>> metaPuts, long timeoutMillis, String what) {
    return appendSystemRecordWaiting(record, metaPuts, false, timeoutMillis, what);
  }

  /** As above; with {@code forgetOffsets} the stored source offsets go in the same write. */
  public long appendSystemRecordWaiting(
      byte[] record,
      LongFunction<Map<byte[], byte[]>> metaPuts,
      boolean forgetOffsets,
      long timeoutMillis,
      String what) {
    store.checkOpen();
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (true) {
      long s = appendSystemRecord(record, metaPuts, forgetOffsets);
      if (s > 0) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new JournalException(
            dir,
            "could not write "
                + what
                + ": a source transaction kept arriving for "
                + timeoutMillis / 1000
                + " s");
      }
      Store.sleep(50);
    }
  }

  /** Drops the records past the watermark and continues from it; refused while a batch is open. */
  public void discardIncomplete() {
    // under the write lock: a system record (retention, gap) waits for exactly the state this
    // sets, the next sequence number and the hash to chain from, and must see both or neither
    writeLock.acquireUninterruptibly();
    try {
      if (openBatch != null) {
        throw new IllegalStateException("discardIncomplete needs the writer with no open batch");
      }
      dropIncompleteTail();
      followWatermark();
      pendingChanges = 0;
      openTags.clear();
      pendingBased.clear();
    } finally {
      writeLock.release();
    }
  }

  /** Drops the records past the watermark ({@link TailTruncation}). */
  public void dropIncompleteTail() {
    if (new TailTruncation(store, view, logReads).run()) {
      view.loadRegistry();
    }
  }

  /** The chain hash of record {@code seq}; the genesis hash for 0. */
  private byte[] hashAt(long seq) {
    if (seq == 0) {
      return Chain.genesis(view.journalId());
    }
    byte[] value = store.get(cf.log(), Keys.seq(seq), "read record " + seq);
    if (value == null) {
      throw new JournalException(dir, "record " + seq + " (the watermark) is missing");
    }
    return LogRecords.hash(value);
  }
}
