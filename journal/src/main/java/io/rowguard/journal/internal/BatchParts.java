package io.rowguard.journal.internal;

import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The parts of a large batch, written ahead of its commit by the store's background writer, one at
 * a time, each {@link BatchWrite#PART_ENTRIES} entries. A part is written unsynced and lies past
 * the watermark: readers do not see it, and a journal reopened after a crash drops it.
 */
final class BatchParts {
  private final Store store;
  private final StagedWrites writes;
  private final Path dir;
  private Future<?> partWrite;
  private String partRange;
  private long partStart;
  private boolean partsWritten;
  private int partEntries;

  BatchParts(Store store, StagedWrites writes, long firstSeq) {
    this.store = store;
    this.writes = writes;
    this.dir = store.dir();
    this.partStart = firstSeq;
  }

  /** Counts an entry staged; a full part is handed to the background writer. */
  void added(long seq) {
    if (++partEntries >= BatchWrite.PART_ENTRIES) {
      writeAhead(seq);
    }
  }

  /** Writes out what is staged and waits for it: so that the indexes have all of the batch. */
  void writeOut(long seq) {
    if (partEntries > 0) {
      writeAhead(seq);
    }
    await();
  }

  /** Whether a part was written: a batch given up after one leaves it in the log. */
  boolean written() {
    return partsWritten;
  }

  /** Hands what is staged to the background writer; at most one part is being written. */
  private void writeAhead(long seq) {
    await();
    byte[] part = writes.take();
    partRange = partStart + ".." + (seq - 1);
    partStart = seq;
    partEntries = 0;
    partsWritten = true;
    partWrite = store.writeAhead(part);
  }

  /** Waits for the part being written, if one is: a write that failed stops the journal. */
  void await() {
    Future<?> f = partWrite;
    if (f == null) {
      return;
    }
    partWrite = null;
    try {
      f.get();
    } catch (ExecutionException e) {
      throw store.fail(new JournalException(dir, "write of entries " + partRange, e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw store.fail(new JournalException(dir, "wait for the write of entries " + partRange, e));
    }
  }
}
