package io.rowguard.journal.internal;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.JournalException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the records past the watermark: a transaction that was still arriving when the last capture
 * stopped (the source sends it again, from its first change).
 *
 * <p>Streams over the tail three times, so that a tail as large as an interrupted initial snapshot
 * needs no memory: the notes' actors first; then the changes, deleted with their index keys in
 * chunks; then the notes, registrations and the journal's own records. Changes go before what they
 * depend on (a note decides an actor key, a registration how a change decodes), so a truncation cut
 * short by another crash is simply done again.
 */
final class TailTruncation {
  private static final Logger LOG = LoggerFactory.getLogger(TailTruncation.class);
  private static final int CHUNK = 50_000;

  private final Store store;
  private final JournalView view;
  private final LogReads logReads;

  TailTruncation(Store store, JournalView view, LogReads logReads) {
    this.store = store;
    this.view = view;
    this.logReads = logReads;
  }

  /** Returns whether anything was dropped (the registry then changed too). */
  boolean run() {
    long from = view.watermark() + 1;
    Map<String, TransactionTag> tags = new HashMap<>();
    logReads.forEachRecord(
        from,
        Long.MAX_VALUE,
        (s, value) -> {
          byte[] record = view.record(s, value);
          if (LogRecords.kind(record) == LogRecords.Kind.NOTE) {
            LogRecords.Note n = LogRecords.decodeNote(record);
            tags.merge(n.txId(), n.tag(), (a, b) -> a.actor() != null ? a : b);
          }
          return true;
        });
    long[] changes = {0};
    List<Long> others = new ArrayList<>();
    var cf = store.families();
    WriteBatch[] batch = {new WriteBatch()};
    try {
      logReads.forEachRecord(
          from,
          Long.MAX_VALUE,
          (s, value) -> {
            byte[] record = view.record(s, value);
            if (LogRecords.kind(record) != LogRecords.Kind.CHANGE) {
              others.add(s);
              return true;
            }
            ChangeEvent e = view.decode(s, record);
            try {
              batch[0].delete(cf.log(), Keys.seq(s));
              cf.changeKeys(
                  view.registry().tableNo(e.table()),
                  e.key().encode(),
                  s,
                  e.commitMicros(),
                  e.txId(),
                  Attribution.of(tags.get(e.txId()), e).actor(),
                  batch[0]::delete);
              changes[0]++;
              if (batch[0].count() >= CHUNK) {
                cf.db().write(store.syncWrite(), batch[0]);
                batch[0].close();
                batch[0] = new WriteBatch();
              }
            } catch (RocksDBException ex) {
              throw new JournalException(store.dir(), "remove the incomplete tail", ex);
            }
            return true;
          });
      for (long s : others) {
        byte[] record = view.record(s, store.get(cf.log(), Keys.seq(s), "read record " + s));
        batch[0].delete(cf.log(), Keys.seq(s));
        switch (LogRecords.kind(record)) {
          case NOTE -> cf.noteKeys(LogRecords.decodeNote(record), s, batch[0]::delete);
          case TABLE, SCHEMA ->
              batch[0].delete(cf.schemas(), LogRecords.decodeRegistration(record).key());
          case GAP -> batch[0].delete(cf.meta(), Keys.concat(MetaKeys.GAP_PREFIX, Keys.seq(s)));
          default -> {}
        }
      }
      cf.db().write(store.syncWrite(), batch[0]);
    } catch (RocksDBException e) {
      throw new JournalException(store.dir(), "remove the incomplete tail", e);
    } finally {
      batch[0].close();
    }
    if (changes[0] + others.size() == 0) {
      return false;
    }
    LOG.info(
        "Removed {} changes of a transaction that was incomplete when the last capture stopped;"
            + " the source redelivers it whole",
        changes[0]);
    return true;
  }
}
