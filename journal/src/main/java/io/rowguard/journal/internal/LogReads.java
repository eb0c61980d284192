package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.ChangeEvent;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;
import org.rocksdb.RocksIterator;

/**
 * Reads of the log by sequence number: one entry, scans forwards and backwards, the search by time,
 * and the records a journal's own work (truncation, retention, verification) walks over.
 */
public final class LogReads {
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final Path dir;

  public LogReads(Store store, JournalView view) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.dir = store.dir();
  }

  /** The change with sequence number {@code seq}. */
  public JournalEntry entry(long seq) {
    return entry(seq, store.get(cf.log(), Keys.seq(seq), "read entry " + seq));
  }

  private JournalEntry entry(long seq, byte[] value) {
    return entry(seq, value, value == null ? 0 : value.length, null);
  }

  /**
   * The change stored in the first {@code valueLength} bytes of {@code value}; equal strings are
   * shared with {@code previous}, the change read before it (or null).
   */
  JournalEntry entry(long seq, byte[] value, int valueLength, ChangeEvent previous) {
    if (value == null) {
      throw new JournalException(dir, "entry " + seq + " is indexed but missing from the log");
    }
    // decoded in place: the record starts the stored value, the chain's hash follows it
    int length;
    try {
      length = LogRecords.recordLength(valueLength, view.isChained());
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
    return change(seq, value, 0, length, previous);
  }

  /** The change in the record of {@code length} bytes at {@code offset}. */
  public JournalEntry change(long seq, byte[] bytes, int offset, int length, ChangeEvent previous) {
    LogRecords.Kind kind;
    try {
      kind = LogRecords.kind(bytes, offset, length);
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
    if (kind != LogRecords.Kind.CHANGE) {
      throw new JournalException(
          dir,
          "entry "
              + seq
              + " is a "
              + kind.name().toLowerCase(java.util.Locale.ROOT)
              + " record, not a change");
    }
    try {
      return new JournalEntry(
          seq, EntryCodec.decode(bytes, offset, length, view::schemaById, previous));
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
  }

  /**
   * Visits committed changes in sequence order from {@code fromSeq}, until the visitor returns
   * false.
   */
  public void scan(long fromSeq, Predicate<JournalEntry> visitor) {
    store.checkOpen();
    long limit = view.watermark();
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      for (it.seek(Keys.seq(Math.max(1, fromSeq))); it.isValid(); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s > limit) {
          break;
        }
        byte[] record = view.record(s, it.value());
        if (LogRecords.kind(record) == LogRecords.Kind.CHANGE
            && !visitor.test(new JournalEntry(s, view.decode(s, record)))) {
          break;
        }
      }
      store.checkIterator(it, "scan the log");
    }
  }

  /**
   * As {@link #scan}, passing over the sequence numbers in {@code skip} (ascending) without reading
   * them: a run of them is one seek.
   */
  public void scanExcept(long fromSeq, long[] skip, Predicate<JournalEntry> visitor) {
    store.checkOpen();
    long limit = view.watermark();
    int j = 0;
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      it.seek(Keys.seq(Math.max(1, fromSeq)));
      ChangeEvent previous = null;
      while (it.isValid()) {
        long s = Keys.seqAtEnd(it.key());
        if (s > limit) {
          break;
        }
        while (j < skip.length && skip[j] < s) {
          j++;
        }
        if (j < skip.length && skip[j] == s) {
          while (j + 1 < skip.length && skip[j + 1] == skip[j] + 1) {
            j++;
          }
          it.seek(Keys.seq(skip[j] + 1));
          j++;
          continue;
        }
        byte[] value = it.value();
        if (LogRecords.kind(value, 0, value.length) == LogRecords.Kind.CHANGE) {
          JournalEntry e = entry(s, value, value.length, previous);
          previous = e.event();
          if (!visitor.test(e)) {
            break;
          }
        }
        it.next();
      }
      store.checkIterator(it, "scan the log");
    }
  }

  /**
   * Visits committed changes newest first, from {@code fromSeq} (inclusive) down, until the visitor
   * returns false.
   */
  public void scanBackward(long fromSeq, Predicate<JournalEntry> visitor) {
    store.checkOpen();
    long start = Math.min(fromSeq, view.watermark());
    if (start < 1) {
      return;
    }
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      for (it.seekForPrev(Keys.seq(start)); it.isValid(); it.prev()) {
        long s = Keys.seqAtEnd(it.key());
        byte[] record = view.record(s, it.value());
        if (LogRecords.kind(record) == LogRecords.Kind.CHANGE
            && !visitor.test(new JournalEntry(s, view.decode(s, record)))) {
          break;
        }
      }
      store.checkIterator(it, "scan the log");
    }
  }

  /** Visits every stored record up to the watermark: sequence number and stored value. */
  public void forEachRecord(long fromSeq, long toSeq, RecordVisitor visitor) {
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      for (it.seek(Keys.seq(Math.max(0, fromSeq))); it.isValid(); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s > toSeq || !visitor.visit(s, it.value())) {
          break;
        }
      }
      store.checkIterator(it, "scan the log");
    }
  }

  @FunctionalInterface
  public interface RecordVisitor {
    boolean visit(long seq, byte[] value);
  }

  /**
   * The sequence number of the first change committed at or after {@code micros}, found by
   * bisecting the log (commit order and time order agree up to a few concurrent commits); the
   * newest sequence number plus one if none.
   */
  public long seqAtTime(long micros) {
    store.checkOpen();
    long lo = 1;
    long hi = view.watermark() + 1;
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      while (lo < hi) {
        long mid = lo + (hi - lo) / 2;
        OptionalLong t = OptionalLong.empty();
        long at = mid;
        for (it.seek(Keys.seq(mid)); it.isValid(); it.next()) {
          at = Keys.seqAtEnd(it.key());
          if (at > view.watermark()) {
            break;
          }
          byte[] record = view.record(at, it.value());
          if (LogRecords.kind(record) == LogRecords.Kind.CHANGE) {
            t = OptionalLong.of(view.decode(at, record).commitMicros());
            break;
          }
        }
        store.checkIterator(it, "search the log by time");
        if (t.isEmpty() || t.getAsLong() >= micros) {
          hi = mid;
        } else {
          lo = at + 1;
        }
      }
    }
    return lo;
  }

  boolean isLogEmpty() {
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      it.seekToFirst();
      boolean empty = !it.isValid();
      store.checkIterator(it, "read the log");
      return empty;
    }
  }

  public Optional<LogRecords.Retention> latestRetention() {
    byte[] pointer = store.get(cf.meta(), MetaKeys.RETENTION, "read the retention pointer");
    if (pointer == null) {
      return Optional.empty();
    }
    long s = new BinaryReader(pointer).readLong();
    if (s > view.watermark()) {
      return Optional.empty();
    }
    byte[] value = store.get(cf.log(), Keys.seq(s), "read retention record " + s);
    if (value == null) {
      throw new JournalException(dir, "retention record " + s + " is missing from the log");
    }
    try {
      return Optional.of(LogRecords.decodeRetention(view.record(s, value)));
    } catch (RuntimeException e) {
      throw new JournalException(dir, "retention record " + s + " is corrupt: " + e.getMessage());
    }
  }
}
