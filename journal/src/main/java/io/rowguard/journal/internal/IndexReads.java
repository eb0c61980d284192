package io.rowguard.journal.internal;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksIterator;

/**
 * Reads through the row, transaction and actor indexes: a row's versions, a transaction's changes,
 * an actor's changes, and every row of a table.
 */
public final class IndexReads {
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final LogReads logReads;
  private final Path dir;

  public IndexReads(Store store, JournalView view, LogReads logReads) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.logReads = logReads;
    this.dir = store.dir();
  }

  /**
   * The sequence numbers of the row's versions from {@code fromSeq} on, oldest first, up to {@code
   * limit}: read through {@code it}, an iterator over the row index that a caller keeps for many
   * rows.
   */
  public long[] versions(RocksIterator it, long limit, TableId table, RowKey key, long fromSeq) {
    store.checkOpen();
    Integer no = view.registry().tableNo(table);
    if (no == null) {
      return new long[0];
    }
    byte[] encoded = key.encode();
    byte[] prefix = Keys.rowPrefix(no, encoded);
    long[] out = new long[4];
    int n = 0;
    for (it.seek(Keys.row(no, encoded, Math.max(0, fromSeq))); it.isValid(); it.next()) {
      byte[] k = it.key();
      if (!Keys.startsWith(k, prefix)) {
        break;
      }
      if (k.length != prefix.length + 8) {
        continue;
      }
      long s = Keys.seqAtEnd(k);
      if (s <= limit && s >= fromSeq) {
        if (n == out.length) {
          out = Arrays.copyOf(out, n * 2);
        }
        out[n++] = s;
      }
    }
    store.checkIterator(it, "read the versions of a row of " + table);
    return Arrays.copyOf(out, n);
  }

  /** The newest version of a row (its key prefix) up to {@code maxSeq}, past the watermark too. */
  Optional<JournalEntry> lastVersion(byte[] rowPrefix, long maxSeq) {
    try (RocksIterator it = cf.db().newIterator(cf.rows())) {
      byte[] end = Keys.prefixEnd(rowPrefix);
      if (end == null) {
        it.seekToLast();
      } else {
        it.seekForPrev(end);
      }
      for (; it.isValid(); it.prev()) {
        byte[] k = it.key();
        if (!Keys.startsWith(k, rowPrefix)) {
          if (Arrays.compareUnsigned(k, rowPrefix) < 0) {
            break;
          }
          continue;
        }
        if (k.length != rowPrefix.length + 8) {
          continue;
        }
        long s = Keys.seqAtEnd(k);
        if (s <= maxSeq) {
          return Optional.of(logReads.entry(s));
        }
      }
      store.checkIterator(it, "read the latest version of a row");
    }
    return Optional.empty();
  }

  /** The changes of one transaction, in order. */
  public List<JournalEntry> transaction(String txId) {
    store.checkOpen();
    long[] seqs = indexed(cf.tx(), Keys.txPrefix(txId));
    List<JournalEntry> out = new ArrayList<>(seqs.length);
    if (seqs.length == 0) {
      return out;
    }
    // a transaction's changes lie next to each other in the log: read in one pass, not a lookup
    // each (seeking over what lies between when it is more than a few records)
    try (RocksIterator it = cf.db().newIterator(cf.log())) {
      int i = 0;
      ChangeEvent previous = null;
      it.seek(Keys.seq(seqs[0]));
      while (i < seqs.length && it.isValid()) {
        long s = Keys.seqAtEnd(it.key());
        if (s < seqs[i]) {
          if (seqs[i] - s > 16) {
            it.seek(Keys.seq(seqs[i]));
          } else {
            it.next();
          }
          continue;
        }
        if (s > seqs[i]) {
          break;
        }
        byte[] value = it.value();
        JournalEntry e = logReads.entry(s, value, value.length, previous);
        previous = e.event();
        out.add(e);
        i++;
        it.next();
      }
      store.checkIterator(it, "read a transaction");
      if (i < seqs.length) {
        throw new JournalException(
            dir, "entry " + seqs[i] + " is indexed but missing from the log");
      }
    }
    return out;
  }

  /** The sequence numbers an index holds under {@code prefix}, up to the watermark, ascending. */
  private long[] indexed(ColumnFamilyHandle family, byte[] prefix) {
    long limit = view.watermark();
    long[] out = new long[16];
    int n = 0;
    try (RocksIterator it = cf.db().newIterator(family)) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        byte[] k = it.key();
        long s = Keys.seqAtEnd(k);
        if (k.length == prefix.length + 8 && s <= limit) {
          if (n == out.length) {
            out = Arrays.copyOf(out, n * 2);
          }
          out[n++] = s;
        }
      }
      store.checkIterator(it, "read an index");
    }
    return Arrays.copyOf(out, n);
  }

  /** Visits the changes of one transaction, oldest or newest first, until the visitor says stop. */
  public void forEachOfTransaction(
      String txId, boolean newestFirst, Predicate<JournalEntry> visitor) {
    store.checkOpen();
    forEachSeq(cf.tx(), Keys.txPrefix(txId), newestFirst, Long.MAX_VALUE, visitor);
  }

  /**
   * Visits the changes attributed to {@code actor}, newest first, starting below {@code beforeSeq},
   * until the visitor says stop.
   */
  public void forEachOfActor(String actor, long beforeSeq, Predicate<JournalEntry> visitor) {
    store.checkOpen();
    forEachSeq(cf.actors(), Keys.actorPrefix(actor), true, beforeSeq, visitor);
  }

  private void forEachSeq(
      ColumnFamilyHandle family,
      byte[] prefix,
      boolean newestFirst,
      long beforeSeq,
      Predicate<JournalEntry> visitor) {
    long limit = Math.min(view.watermark(), beforeSeq - 1);
    try (RocksIterator it = cf.db().newIterator(family)) {
      if (newestFirst) {
        it.seekForPrev(Keys.concat(prefix, Keys.seq(limit)));
      } else {
        it.seek(prefix);
      }
      while (it.isValid() && Keys.startsWith(it.key(), prefix)) {
        byte[] k = it.key();
        long s = Keys.seqAtEnd(k);
        if (k.length == prefix.length + 8 && s <= limit && !visitor.test(logReads.entry(s))) {
          break;
        }
        if (newestFirst) {
          it.prev();
        } else {
          it.next();
        }
      }
      store.checkIterator(it, "read an index");
    }
  }

  /**
   * Visits every row the journal has seen of a table, in key order, with the sequence numbers of
   * its committed versions, oldest first.
   */
  public void forEachRow(TableId table, Consumer<long[]> versions) {
    store.checkOpen();
    Integer no = view.registry().tableNo(table);
    if (no == null) {
      return;
    }
    byte[] tablePrefix = Keys.tablePrefix(no);
    long limit = view.watermark();
    byte[] currentRow = null;
    List<Long> seqs = new ArrayList<>();
    try (RocksIterator it = cf.db().newIterator(cf.rows())) {
      for (it.seek(tablePrefix);
          it.isValid() && Keys.startsWith(it.key(), tablePrefix);
          it.next()) {
        byte[] k = it.key();
        byte[] row = Arrays.copyOf(k, k.length - 8);
        if (currentRow != null && !Arrays.equals(row, currentRow)) {
          emit(seqs, versions);
        }
        currentRow = row;
        long s = Keys.seqAtEnd(k);
        if (s <= limit) {
          seqs.add(s);
        }
      }
      store.checkIterator(it, "read the rows of " + table);
    }
    emit(seqs, versions);
  }

  private static void emit(List<Long> seqs, Consumer<long[]> versions) {
    if (!seqs.isEmpty()) {
      versions.accept(seqs.stream().mapToLong(Long::longValue).toArray());
      seqs.clear();
    }
  }
}
