package io.rowguard.journal.internal;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableId;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.rocksdb.RocksIterator;

/** One table's changes by commit time, read through the time index. */
public final class TableReads {
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final LogReads logReads;

  public TableReads(Store store, JournalView view, LogReads logReads) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.logReads = logReads;
  }

  /** The changes of one table committed in [fromMicros, toMicros), in commit order. */
  public List<JournalEntry> tableChanges(TableId table, long fromMicros, long toMicros) {
    List<JournalEntry> out = new ArrayList<>();
    forEachOfTable(table, fromMicros, toMicros, false, Long.MAX_VALUE, e -> out.add(e) || true);
    out.sort(Comparator.comparingLong(JournalEntry::seq));
    return out;
  }

  /**
   * Visits the changes of one table committed in [fromMicros, toMicros) by commit time, oldest or
   * newest first; newest first starts below the change {@code beforeSeq} (0: from the newest).
   */
  public void forEachOfTable(
      TableId table,
      long fromMicros,
      long toMicros,
      boolean newestFirst,
      long beforeSeq,
      Predicate<JournalEntry> visitor) {
    store.checkOpen();
    Integer no = view.registry().tableNo(table);
    if (no == null) {
      return;
    }
    byte[] start = Keys.timePrefix(no, fromMicros);
    byte[] end = Keys.timePrefix(no, toMicros);
    if (newestFirst && beforeSeq > 0 && beforeSeq != Long.MAX_VALUE) {
      byte[] cursor = timeCursor(no, beforeSeq);
      if (cursor == null) {
        return;
      }
      if (Arrays.compareUnsigned(cursor, end) < 0) {
        end = cursor;
      }
    }
    ChangeEvent[] previous = {null};
    // the limit is read before the log cursor exists: a cursor sees what was written before it was
    // made, and so every entry up to a limit read earlier
    long limit = view.watermark();
    try (LogCursor log = new LogCursor(store)) {
      forEachSeqOfTable(
          table,
          start,
          end,
          limit,
          newestFirst,
          s -> {
            // oldest first, neighbours share equal strings (see EntryCodec.decode)
            JournalEntry e =
                newestFirst
                    ? logReads.entry(s)
                    : logReads.entry(s, log.value(s), log.valueLength(), previous[0]);
            previous[0] = e.event();
            return visitor.test(e);
          });
    }
  }

  /** The sequence numbers in [start, end) of the time index, up to {@code limit}. */
  public void forEachSeqOfTable(
      TableId table,
      byte[] start,
      byte[] end,
      long limit,
      boolean newestFirst,
      java.util.function.LongPredicate visitor) {
    try (RocksIterator it = cf.db().newIterator(cf.time())) {
      if (newestFirst) {
        it.seekForPrev(end);
        if (it.isValid() && Arrays.equals(it.key(), end)) {
          it.prev();
        }
      } else {
        it.seek(start);
      }
      for (byte[] k; it.isValid(); ) {
        k = it.key();
        if (Arrays.compareUnsigned(k, start) < 0 || Arrays.compareUnsigned(k, end) >= 0) {
          break;
        }
        long s = Keys.seqAtEnd(k);
        if (s <= limit && !visitor.test(s)) {
          break;
        }
        if (newestFirst) {
          it.prev();
        } else {
          it.next();
        }
      }
      store.checkIterator(it, "read changes of " + table);
    }
  }

  /**
   * The exclusive end, in the time index, of "below change {@code beforeSeq}": that change's own
   * key; for a sequence number that is not a change, just past the nearest change below it; null
   * when there is none.
   */
  private byte[] timeCursor(int tableNo, long beforeSeq) {
    byte[] value =
        beforeSeq <= view.watermark()
            ? store.get(cf.log(), Keys.seq(beforeSeq), "read entry")
            : null;
    if (value != null) {
      byte[] record = view.record(beforeSeq, value);
      if (LogRecords.kind(record) == LogRecords.Kind.CHANGE) {
        return Keys.time(tableNo, view.decode(beforeSeq, record).commitMicros(), beforeSeq);
      }
    }
    JournalEntry[] below = {null};
    logReads.scanBackward(
        beforeSeq - 1,
        e -> {
          below[0] = e;
          return false;
        });
    return below[0] == null
        ? null
        : Keys.time(tableNo, below[0].event().commitMicros(), below[0].seq() + 1);
  }
}
