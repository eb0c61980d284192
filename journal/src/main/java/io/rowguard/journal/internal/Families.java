package io.rowguard.journal.internal;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * An open journal's RocksDB and its column families.
 *
 * @param meta journal-wide values: watermark, head hash, format, counters
 * @param log records by sequence number ({@link LogRecords})
 * @param rows one row's versions: {@link Keys#row}
 * @param time a table's changes by commit time: {@link Keys#time}
 * @param tx a transaction's changes: {@link Keys#tx}
 * @param schemas table names and column schemas
 * @param offsets Debezium's source offsets
 * @param txinfo a transaction's notes: {@link Keys#tx} over note sequence numbers
 * @param actors the changes attributed to each actor: {@link Keys#actor}
 */
public record Families(
    RocksDB db,
    ColumnFamilyHandle meta,
    ColumnFamilyHandle log,
    ColumnFamilyHandle rows,
    ColumnFamilyHandle time,
    ColumnFamilyHandle tx,
    ColumnFamilyHandle schemas,
    ColumnFamilyHandle offsets,
    ColumnFamilyHandle txinfo,
    ColumnFamilyHandle actors) {

  /** Receives the index keys of a record: to put them, or to delete them. */
  @FunctionalInterface
  public interface KeySink {
    void accept(ColumnFamilyHandle family, byte[] key) throws org.rocksdb.RocksDBException;
  }

  /**
   * Every index key of a change: its row version, its place in time, its transaction, and its actor
   * when it has one. Writing, truncating, pruning and verifying all use this one definition.
   */
  public void changeKeys(
      int tableNo,
      byte[] rowKey,
      long seq,
      long commitMicros,
      String txId,
      String actor,
      KeySink sink)
      throws org.rocksdb.RocksDBException {
    sink.accept(rows, Keys.row(tableNo, rowKey, seq));
    sink.accept(time, Keys.time(tableNo, commitMicros, seq));
    sink.accept(tx, Keys.tx(txId, seq));
    if (actor != null) {
      sink.accept(actors, Keys.actor(actor, seq));
    }
  }

  /**
   * The index keys of a note: its transaction's, and for a rowguard rollback one more per
   * transaction it undid, so that "was this undone, and by what" is one seek.
   */
  public void noteKeys(LogRecords.Note note, long seq, KeySink sink)
      throws org.rocksdb.RocksDBException {
    sink.accept(txinfo, Keys.tx(note.txId(), seq));
    for (String undone : note.tag().undoes()) {
      sink.accept(txinfo, Keys.undone(undone, seq));
    }
  }
}
