package io.rowguard.journal;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.journal.internal.Chain;
import io.rowguard.journal.internal.JournalView;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.LogReads;
import io.rowguard.journal.internal.LogRecords;
import io.rowguard.journal.internal.MetaKeys;
import io.rowguard.journal.internal.Store;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention: removes what was committed before a cut, except what a rollback to the cut or later
 * needs, which is each row's last version before the cut (unless that version deleted the row).
 *
 * <ol>
 *   <li>The pruned range ends at the last change before the cut (and the notes of its transaction):
 *       transactions are never split.
 *   <li>A first pass over the range checks it (the hash chain from the previous prune's end, and
 *       what that prune kept against its digest: a prune must not bake tampering in), decides what
 *       stays and digests it. A retention record in the chain then names the range, the chain hash
 *       where it ends and that digest, so the chain stays verifiable from there and the kept
 *       records are checked against the digest.
 *   <li>A second pass deletes the rest, in sequence order; a "pruned" record in the chain says it
 *       finished. A row's versions are deleted oldest first and its last version last, so the
 *       decisions come out the same if the pass is cut short by a crash and run again: an
 *       unfinished prune is finished by the next one.
 * </ol>
 *
 * What stays: each row's last version up to the range's end unless it removed the row, the notes of
 * the transactions of those versions, every table and schema registration (changes refer to them),
 * the source binding, and the gap records (an auditor asks what the journal missed, however long
 * ago; journals before format 3 pruned their gap records, and those still go). Runs beside the
 * capture that writes the journal: it touches only records below the watermark, which the writer
 * never changes, and appends its own records between two transactions.
 */
final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);
  private static final int DELETE_BATCH = 10_000;

  private final Journal journal;
  private final Store store;
  private final JournalView view;
  private final LogReads logReads;
  private final Clock clock;
  private final Journal.Progress progress;
  private final int batchSize;
  private final long crashAfterDeletes;

  Pruner(Journal journal, Clock clock, Journal.Progress progress) {
    this(journal, clock, progress, DELETE_BATCH, Long.MAX_VALUE);
  }

  /**
   * For tests: deletes in writes of {@code batchSize}, and dies (throws, writing nothing more)
   * after deleting {@code crashAfterDeletes} records.
   */
  Pruner(
      Journal journal,
      Clock clock,
      Journal.Progress progress,
      int batchSize,
      long crashAfterDeletes) {
    this.journal = journal;
    this.store = journal.store();
    this.view = journal.view();
    this.logReads = journal.logReads();
    this.clock = clock;
    this.progress = progress;
    this.batchSize = batchSize;
    this.crashAfterDeletes = crashAfterDeletes;
  }

  PruneResult prune(long cutMicros) {
    Optional<LogRecords.Retention> previous = logReads.latestRetention();
    long previousEnd = previous.map(LogRecords.Retention::lastPrunedSeq).orElse(0L);
    if (previous.isPresent() && store.readCounter(MetaKeys.PRUNE_DONE) != previousEnd) {
      LOG.info("Finishing the prune of entries before the last retention cut");
      delete(previousEnd);
      markDone(previousEnd, store.readCounter(MetaKeys.RETENTION));
    }
    long end = rangeEnd(Math.max(1, previousEnd + 1), cutMicros);
    if (end <= previousEnd) {
      return new PruneResult(cutMicros, 0, 0, 0, 0, 0);
    }
    // pass 1: check, decide what stays, digest it
    Check check = new Check(previous, previousEnd);
    LogRecords.KeptDigest kept = new LogRecords.KeptDigest();
    long[] keptChanges = {0};
    walk(
        end,
        "planning retention",
        (seq, record, keep) -> {
          if (keep) {
            kept.add(seq, record);
            if (LogRecords.kind(record) == LogRecords.Kind.CHANGE) {
              keptChanges[0]++;
            }
          }
        },
        null,
        check);
    check.finish(end);
    LogRecords.Retention retention =
        new LogRecords.Retention(
            cutMicros, end, check.hash, kept.count(), kept.digest(), clock.millis() * 1000L);
    long retentionSeq =
        journal
            .writer()
            .appendSystemRecordWaiting(
                LogRecords.retention(retention),
                seq -> Map.of(MetaKeys.RETENTION, Keys.seq(seq)),
                600_000,
                "the retention record");
    // pass 2: delete the rest
    long[] removed = delete(end);
    markDone(end, retentionSeq);
    store.compactLog(end);
    LOG.info(
        "Pruned {} changes and {} notes committed before {}; kept {} rows' last versions",
        removed[0],
        removed[1],
        io.rowguard.core.ValueFormat.instant(cutMicros),
        keptChanges[0]);
    return new PruneResult(cutMicros, end, removed[0], removed[1], keptChanges[0], retentionSeq);
  }

  /** Records in the chain that the prune up to {@code end} finished. */
  private void markDone(long end, long retentionSeq) {
    journal
        .writer()
        .appendSystemRecordWaiting(
            LogRecords.pruned(new LogRecords.Pruned(end, retentionSeq)),
            seq -> Map.of(MetaKeys.PRUNE_DONE, Keys.seq(end)),
            600_000,
            "the end of a prune");
  }

  /**
   * What pass 1 checks before anything is pruned: the records the previous prune kept match its
   * digest, and the chain holds from the previous prune's end (or the start) to this one's.
   */
  private final class Check {
    private final Optional<LogRecords.Retention> previous;
    private final long previousEnd;
    private final LogRecords.KeptDigest previouslyKept = new LogRecords.KeptDigest();
    private final Chain chain = new Chain();
    private byte[] hash;
    private long expected;

    Check(Optional<LogRecords.Retention> previous, long previousEnd) {
      this.previous = previous;
      this.previousEnd = previousEnd;
      this.hash =
          previous.map(LogRecords.Retention::hashAtCut).orElse(Chain.genesis(view.journalId()));
      this.expected = previousEnd + 1;
    }

    void record(long seq, byte[] value, byte[] record) {
      if (seq <= previousEnd) {
        previouslyKept.add(seq, record);
        return;
      }
      if (seq != expected) {
        refuse("entry " + expected + " is missing from the log");
      }
      hash = chain.link(hash, seq, record);
      if (!Arrays.equals(hash, LogRecords.hash(value))) {
        refuse("entry " + seq + " does not match the hash chain");
      }
      expected = seq + 1;
    }

    void finish(long end) {
      if (expected != end + 1) {
        refuse("entry " + expected + " is missing from the log");
      }
      if (previous.isPresent()
          && (previouslyKept.count() != previous.get().keptCount()
              || !Arrays.equals(previouslyKept.digest(), previous.get().keptDigest()))) {
        refuse("the entries kept by the previous prune do not match its retention record");
      }
    }

    private void refuse(String why) {
      throw new JournalException(
          journal.dir(), "refusing to prune a journal that does not verify: " + why);
    }
  }

  /**
   * The last record of the range to prune: the last change committed before the cut (looking from
   * {@code from} up to the watermark, and stopping at the first change at or after the cut), plus
   * the notes of its transaction that follow it.
   */
  private long rangeEnd(long from, long cutMicros) {
    long[] end = {from - 1};
    String[] lastTx = {null};
    long watermark = view.watermark();
    logReads.forEachRecord(
        from,
        watermark,
        (seq, value) -> {
          byte[] record = view.record(seq, value);
          switch (LogRecords.kind(record)) {
            case CHANGE -> {
              ChangeEvent e = view.decode(seq, record);
              if (e.commitMicros() >= cutMicros) {
                return false;
              }
              end[0] = seq;
              lastTx[0] = e.txId();
            }
            case NOTE -> {
              if (LogRecords.decodeNote(record).txId().equals(lastTx[0])) {
                end[0] = seq;
              }
            }
            default -> {}
          }
          return true;
        });
    return end[0];
  }

  @FunctionalInterface
  private interface Decision {
    void decided(long seq, byte[] record, boolean keep) throws RocksDBException;
  }

  /**
   * Visits records up to {@code end} in sequence order with whether each stays. Notes that go are
   * held back until their transaction's changes are visited (a change's actor key depends on its
   * notes) and visited after them. {@code check}, if given, sees every record first, in order.
   */
  private void walk(long end, String phase, Decision decision, Runnable afterEach, Check check) {
    List<Object[]> heldNotes = new ArrayList<>();
    String[] currentTx = {null};
    long[] seen = {0};
    logReads.forEachRecord(
        1,
        end,
        (seq, value) -> {
          if (Thread.currentThread().isInterrupted()) {
            throw new JournalException(journal.dir(), phase + " was interrupted; it resumes later");
          }
          byte[] record = view.record(seq, value);
          if (check != null) {
            check.record(seq, value, record);
          }
          try {
            switch (LogRecords.kind(record)) {
              case CHANGE -> {
                ChangeEvent e = view.decode(seq, record);
                if (!e.txId().equals(currentTx[0])) {
                  flushNotes(heldNotes, decision, e.txId());
                  currentTx[0] = e.txId();
                }
                decision.decided(seq, record, isBase(journal, seq, e, end));
              }
              case NOTE -> {
                String txId = LogRecords.decodeNote(record).txId();
                if (hasKeptChange(journal, txId, end)) {
                  decision.decided(seq, record, true);
                } else {
                  heldNotes.add(new Object[] {seq, record, txId});
                }
              }
              case TABLE, SCHEMA, BINDING -> decision.decided(seq, record, true);
              case GAP -> decision.decided(seq, record, LogRecords.isKeptGap(record));
              default -> decision.decided(seq, record, false);
            }
          } catch (RocksDBException ex) {
            throw new JournalException(journal.dir(), phase, ex);
          }
          if (++seen[0] % 100_000 == 0) {
            progress.update(phase, seq, end);
          }
          if (afterEach != null) {
            afterEach.run();
          }
          return true;
        });
    try {
      flushNotes(heldNotes, decision, null);
    } catch (RocksDBException ex) {
      throw new JournalException(journal.dir(), phase, ex);
    }
    progress.update(phase, end, end);
  }

  /** Visits the held notes of transactions other than {@code keepHolding}. */
  private static void flushNotes(List<Object[]> held, Decision decision, String keepHolding)
      throws RocksDBException {
    var it = held.iterator();
    while (it.hasNext()) {
      Object[] n = it.next();
      if (!n[2].equals(keepHolding)) {
        decision.decided((Long) n[0], (byte[]) n[1], false);
        it.remove();
      }
    }
  }

  /**
   * Whether record {@code seq} stays when the range up to {@code end} is pruned. The decision
   * depends only on records that stay or come later, which a prune never deletes before it.
   */
  static boolean stays(Journal journal, long seq, byte[] record, long end) {
    return switch (LogRecords.kind(record)) {
      case CHANGE -> isBase(journal, seq, journal.view().decode(seq, record), end);
      case NOTE -> hasKeptChange(journal, LogRecords.decodeNote(record).txId(), end);
      case TABLE, SCHEMA, BINDING -> true;
      case GAP -> LogRecords.isKeptGap(record);
      default -> false;
    };
  }

  /** True when change {@code seq} is its row's last version up to {@code end}, not a delete. */
  static boolean isBase(Journal journal, long seq, ChangeEvent e, long end) {
    if (e.op().removesRow()) {
      return false;
    }
    Integer tableNo = journal.view().registry().tableNo(e.table());
    byte[] rowPrefix = Keys.rowPrefix(tableNo, e.key().encode());
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.rows())) {
      it.seek(Keys.row(tableNo, e.key().encode(), seq + 1));
      while (it.isValid() && Keys.startsWith(it.key(), rowPrefix)) {
        if (it.key().length == rowPrefix.length + 8) {
          return Keys.seqAtEnd(it.key()) > end;
        }
        it.next();
      }
      journal.store().checkIterator(it, "read a row's versions");
    }
    return true;
  }

  static boolean hasKeptChange(Journal journal, String txId, long end) {
    byte[] prefix = Keys.txPrefix(txId);
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.tx())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (it.key().length != prefix.length + 8 || s > end) {
          continue;
        }
        byte[] value = journal.store().get(journal.cf.log(), Keys.seq(s), "read entry " + s);
        if (value != null
            && isBase(journal, s, journal.view().decode(s, journal.view().record(s, value)), end)) {
          return true;
        }
      }
      journal.store().checkIterator(it, "read transaction " + txId);
    }
    return false;
  }

  /** Deletes everything up to {@code end} that does not stay; returns changes and notes removed. */
  private long[] delete(long end) {
    long[] removed = {0, 0};
    WriteBatch[] batch = {new WriteBatch()};
    long[] pendingChanges = {0};
    try {
      walk(
          end,
          "pruning",
          (seq, record, keep) -> {
            if (keep) {
              return;
            }
            if (removed[0] + removed[1] >= crashAfterDeletes) {
              throw new IllegalStateException("simulated crash while pruning");
            }
            WriteBatch b = batch[0];
            b.delete(journal.cf.log(), Keys.seq(seq));
            switch (LogRecords.kind(record)) {
              case CHANGE -> {
                ChangeEvent e = view.decode(seq, record);
                String actor = Attribution.of(journal.tag(e.txId()).orElse(null), e).actor();
                journal.cf.changeKeys(
                    view.registry().tableNo(e.table()),
                    e.key().encode(),
                    seq,
                    e.commitMicros(),
                    e.txId(),
                    actor,
                    b::delete);
                removed[0]++;
                pendingChanges[0]++;
              }
              case NOTE -> {
                journal.cf.noteKeys(LogRecords.decodeNote(record), seq, b::delete);
                removed[1]++;
              }
              case GAP ->
                  b.delete(journal.cf.meta(), Keys.concat(MetaKeys.GAP_PREFIX, Keys.seq(seq)));
              default -> {}
            }
          },
          () -> {
            if (batch[0].count() >= batchSize) {
              try {
                flush(batch[0], pendingChanges);
              } catch (RocksDBException e) {
                throw new JournalException(journal.dir(), "prune", e);
              }
              batch[0].close();
              batch[0] = new WriteBatch();
            }
          },
          null);
      flush(batch[0], pendingChanges);
    } catch (RocksDBException e) {
      throw new JournalException(journal.dir(), "prune", e);
    } finally {
      batch[0].close();
      journal.notes().forgetTags();
    }
    return removed;
  }

  private void flush(WriteBatch b, long[] pendingChanges) throws RocksDBException {
    long pruned = store.readCounter(MetaKeys.PRUNED) + pendingChanges[0];
    b.put(journal.cf.meta(), MetaKeys.PRUNED, Keys.seq(pruned));
    journal.cf.db().write(store.syncWrite(), b);
    pendingChanges[0] = 0;
  }
}
