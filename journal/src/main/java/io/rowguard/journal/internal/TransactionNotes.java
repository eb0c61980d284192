package io.rowguard.journal.internal;

import io.rowguard.core.TransactionTag;
import io.rowguard.core.Undo;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.rocksdb.RocksIterator;

/**
 * What the journal's notes say of a transaction: what its rowguard messages said (its tag), and
 * which rowguard rollback undid it. Both are asked for every change shown, and cached.
 */
public final class TransactionNotes {
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final IndexReads indexReads;
  private final Path dir;

  private final Map<String, Optional<TransactionTag>> tagCache = boundedCache();

  /** Cleared when the journal moves on: a later rollback may undo a transaction. */
  private final Map<String, Optional<Undo>> undoCache = boundedCache();

  /** Undos by the sequence number of the note that records them. */
  private final Map<Long, Undo> undoNotes =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Undo> e) {
              return size() > 64;
            }
          });

  public TransactionNotes(Store store, JournalView view, IndexReads indexReads) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.indexReads = indexReads;
    this.dir = store.dir();
  }

  /**
   * What the transaction's rowguard messages said: the first that names an actor, else the first;
   * empty when it had none.
   */
  public Optional<TransactionTag> tag(String txId) {
    store.checkOpen();
    Optional<TransactionTag> cached = tagCache.get(txId);
    if (cached != null) {
      return cached;
    }
    Optional<TransactionTag> found = Optional.empty();
    if (view.isChained()) {
      byte[] prefix = Keys.txPrefix(txId);
      long limit = view.watermark();
      try (RocksIterator it = cf.db().newIterator(cf.txinfo())) {
        for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
          long s = Keys.seqAtEnd(it.key());
          if (it.key().length != prefix.length + 8 || s > limit) {
            continue;
          }
          byte[] value = store.get(cf.log(), Keys.seq(s), "read note " + s);
          if (value == null) {
            throw new JournalException(dir, "note " + s + " is indexed but missing from the log");
          }
          TransactionTag t;
          try {
            t = LogRecords.decodeNote(view.record(s, value)).tag();
          } catch (RuntimeException e) {
            throw new JournalException(dir, "note " + s + " is corrupt: " + e.getMessage());
          }
          if (found.isEmpty() || (found.get().actor() == null && t.actor() != null)) {
            found = Optional.of(t);
          }
          if (t.actor() != null) {
            break;
          }
        }
        store.checkIterator(it, "read the notes of transaction " + txId);
      }
    }
    tagCache.put(txId, found);
    return found;
  }

  private static <V> Map<String, V> boundedCache() {
    return Collections.synchronizedMap(
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, V> e) {
            return size() > 4096;
          }
        });
  }

  /**
   * The latest rowguard rollback or backout whose plan undid {@code txId}, from the rollback's own
   * message; empty when none did.
   */
  public Optional<Undo> undoneBy(String txId) {
    store.checkOpen();
    Optional<Undo> cached = undoCache.get(txId);
    if (cached != null) {
      return cached;
    }
    long latest = -1;
    byte[] prefix = Keys.txPrefix(txId);
    long limit = view.watermark();
    try (RocksIterator it = cf.db().newIterator(cf.txinfo())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        byte[] k = it.key();
        if (k.length == prefix.length + 9 && k[prefix.length] == 'u') {
          long s = Keys.seqAtEnd(k);
          if (s <= limit) {
            latest = Math.max(latest, s);
          }
        }
      }
      store.checkIterator(it, "read the undo marks of transaction " + txId);
    }
    Optional<Undo> found = Optional.empty();
    if (latest >= 0) {
      found = Optional.of(undoNotedAt(latest));
    }
    if (found.isPresent() || !store.isWriter()) {
      undoCache.put(txId, found);
    }
    return found;
  }

  /** The undo a rollback's note (at {@code seq}) records; one note marks many transactions. */
  private Undo undoNotedAt(long seq) {
    Undo known = undoNotes.get(seq);
    if (known != null) {
      return known;
    }
    LogRecords.Note note;
    try {
      note =
          LogRecords.decodeNote(
              view.record(seq, store.get(cf.log(), Keys.seq(seq), "read note " + seq)));
    } catch (RuntimeException e) {
      throw new JournalException(dir, "note " + seq + " is corrupt: " + e.getMessage());
    }
    long[] committed = {Long.MIN_VALUE};
    indexReads.forEachOfTransaction(
        note.txId(),
        false,
        e -> {
          committed[0] = e.event().commitMicros();
          return false;
        });
    TransactionTag t = note.tag();
    Undo undo = new Undo(note.txId(), committed[0], t.actor(), t.rollback());
    undoNotes.put(seq, undo);
    return undo;
  }

  /** Forgets the cached tag of {@code txId}: a note of it was just committed. */
  void forgetTag(String txId) {
    tagCache.remove(txId);
  }

  /** Forgets every cached tag: a prune removed notes. */
  public void forgetTags() {
    tagCache.clear();
  }

  /** Forgets what is cached: a reader caught up with the writer. */
  public void clear() {
    tagCache.clear();
    undoCache.clear();
  }
}
