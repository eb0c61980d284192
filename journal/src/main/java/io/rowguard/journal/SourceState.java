package io.rowguard.journal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.TableId;
import io.rowguard.journal.internal.JournalView;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.LogRecords;
import io.rowguard.journal.internal.MetaKeys;
import io.rowguard.journal.internal.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.rocksdb.RocksIterator;

/**
 * What the journal records about its source, apart from its changes: the gaps where it does not
 * hold everything, the source it is bound to, and when each table got base versions. Gaps and the
 * binding are records in the hash chain, found through pointers in the journal's meta family; the
 * base versions are meta entries written with the batch that committed them.
 */
final class SourceState {
  private final Journal journal;
  private final Store store;
  private final JournalView view;

  SourceState(Journal journal) {
    this.journal = journal;
    this.store = journal.store();
    this.view = journal.view();
  }

  /** The gaps, oldest first; a closing record replaces the open one it names. */
  List<Gap> gaps() {
    store.checkOpen();
    long limit = view.watermark();
    Map<Long, Gap> bySeq = new TreeMap<>();
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.meta())) {
      byte[] prefix = MetaKeys.GAP_PREFIX;
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        long s = new BinaryReader(it.value()).readLong();
        if (s > limit) {
          continue;
        }
        byte[] value = store.get(journal.cf.log(), Keys.seq(s), "read gap " + s);
        if (value != null) {
          LogRecords.StoredGap g = LogRecords.decodeStoredGap(s, view.record(s, value));
          bySeq.remove(g.closes());
          bySeq.put(s, g.gap());
        }
      }
      store.checkIterator(it, "read gaps");
    }
    return new ArrayList<>(bySeq.values());
  }

  /** Appends a gap record between two transactions; with {@code forgetOffsets}, in one write. */
  Gap recordGap(Gap gap, boolean forgetOffsets, long timeoutMillis) {
    long s =
        journal
            .writer()
            .appendSystemRecordWaiting(
                LogRecords.gap(gap, 0),
                SourceState::gapPointer,
                forgetOffsets,
                timeoutMillis,
                "a gap");
    return gap.at(s);
  }

  /** A gap record now, if no transaction is arriving; empty (nothing written) otherwise. */
  Optional<Gap> tryRecordGap(Gap gap) {
    long s =
        journal.writer().appendSystemRecord(LogRecords.gap(gap, 0), SourceState::gapPointer, false);
    return s > 0 ? Optional.of(gap.at(s)) : Optional.empty();
  }

  Gap closeGap(Gap open, long micros, String position, long timeoutMillis) {
    Gap closed = open.closedAt(micros, position);
    long s =
        journal
            .writer()
            .appendSystemRecordWaiting(
                LogRecords.gap(closed, open.seq()),
                SourceState::gapPointer,
                false,
                timeoutMillis,
                "the end of a gap");
    return closed.at(s);
  }

  static Map<byte[], byte[]> gapPointer(long seq) {
    return Map.of(Keys.concat(MetaKeys.GAP_PREFIX, Keys.seq(seq)), Keys.seq(seq));
  }

  Map<TableId, Long> basedTables() {
    store.checkOpen();
    Map<TableId, Long> out = new TreeMap<>();
    byte[] prefix = MetaKeys.BASED_PREFIX;
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.meta())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        BinaryReader k = new BinaryReader(it.key(), prefix.length, it.key().length - prefix.length);
        out.put(
            TableId.of(k.readString(), k.readString()),
            new BinaryReader(it.value()).readSignedVarLong());
      }
      store.checkIterator(it, "read the tables' base versions");
    }
    return out;
  }

  Optional<SourceBinding> binding() {
    store.checkOpen();
    byte[] pointer = store.get(journal.cf.meta(), MetaKeys.BINDING, "read the binding");
    if (pointer == null) {
      return Optional.empty();
    }
    long s = new BinaryReader(pointer).readLong();
    byte[] value = store.get(journal.cf.log(), Keys.seq(s), "read the binding record " + s);
    if (value == null) {
      throw new JournalException(
          journal.dir(), "the binding record " + s + " is missing from the log");
    }
    try {
      return Optional.of(LogRecords.decodeBinding(view.record(s, value)));
    } catch (RuntimeException e) {
      throw new JournalException(
          journal.dir(), "the binding record " + s + " is corrupt: " + e.getMessage());
    }
  }

  void bind(SourceBinding binding, long timeoutMillis) {
    journal
        .writer()
        .appendSystemRecordWaiting(
            LogRecords.binding(binding),
            seq -> Map.of(MetaKeys.BINDING, Keys.seq(seq)),
            false,
            timeoutMillis,
            "the source binding");
  }
}
