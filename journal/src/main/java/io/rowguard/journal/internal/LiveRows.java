package io.rowguard.journal.internal;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.JournalException;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.rocksdb.RocksIterator;

/**
 * The rows of a table as the journal has them now: each row's newest version, unless it removed the
 * row. What a TRUNCATE removes, and what a snapshot after a gap did not read. Reads every record
 * written, past the watermark too: the writer asks, in the middle of the transaction it is writing.
 */
final class LiveRows {
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final IntFunction<TableSchema> schemas;

  /**
   * @param schemas schema ids as the writer knows them, those of its open batch included
   */
  LiveRows(Store store, JournalView view, IntFunction<TableSchema> schemas) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.schemas = schemas;
  }

  /** Visits each live row's newest version that came before {@code beforeSeq}, in key order. */
  void forEach(int tableNo, long beforeSeq, Consumer<ChangeEvent> visitor) {
    byte[] tablePrefix = Keys.tablePrefix(tableNo);
    try (RocksIterator it = cf.db().newIterator(cf.rows())) {
      byte[] row = null;
      long newest = -1;
      for (it.seek(tablePrefix);
          it.isValid() && Keys.startsWith(it.key(), tablePrefix);
          it.next()) {
        byte[] k = it.key();
        byte[] r = Arrays.copyOf(k, k.length - 8); // the row: its key without the sequence
        if (row != null && !Arrays.equals(r, row)) {
          visitIfLive(newest, beforeSeq, visitor);
          newest = -1;
        }
        row = r;
        newest = Math.max(newest, Keys.seqAtEnd(k));
      }
      if (row != null) {
        visitIfLive(newest, beforeSeq, visitor);
      }
      store.checkIterator(it, "read the rows of table " + tableNo);
    }
  }

  private void visitIfLive(long newest, long beforeSeq, Consumer<ChangeEvent> visitor) {
    if (newest < 0 || newest >= beforeSeq) {
      return;
    }
    byte[] value = store.get(cf.log(), Keys.seq(newest), "read entry " + newest);
    if (value == null) {
      throw new JournalException(
          store.dir(), "entry " + newest + " is indexed but missing from the log");
    }
    ChangeEvent e = EntryCodec.decode(view.record(newest, value), schemas);
    if (!e.op().removesRow()) {
      visitor.accept(e);
    }
  }
}
