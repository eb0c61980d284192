package io.rowguard.journal.internal;

import io.rowguard.core.Attribution;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.Gap;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.JournalException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * One open batch of a journal's writer ({@link JournalWriter}): a set of entries, index records and
 * offsets that becomes durable and visible at once. Parts of a large batch are written ahead,
 * unsynced and past the watermark, which readers and a reopened journal ignore; the last part, with
 * the offsets and the watermark, is written and fsynced by {@link #commit()}.
 */
public final class BatchWrite {
  /**
   * Entries between two of these are written as one part of a batch, in the background while the
   * batch goes on: on two cores that takes RocksDB's work off the thread that receives changes.
   */
  public static final int PART_ENTRIES = 512;

  private static final byte[] EMPTY = new byte[0];

  private final JournalWriter writer;
  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final Path dir;
  private final Map<String, TransactionTag> openTags;
  private final BatchRegistrations registrations;
  private final LatestImages images;
  private final StagedWrites writes;
  private final BatchParts parts;
  private final BinaryWriter buffer = new BinaryWriter(4096);
  private final Chain chain = new Chain();
  private final long firstSeq;
  private final List<Pending> sinceMark = new ArrayList<>();
  private final List<String> tagged = new ArrayList<>();
  private long seq;
  private byte[] hash;
  private long committedUpTo = -1;
  private byte[] hashAtMark;
  private boolean hasOffsets;
  private boolean done;
  private boolean released;
  private int entries;
  private int changes;
  private int changesAtMark;

  BatchWrite(JournalWriter writer) {
    this.writer = writer;
    this.store = writer.store;
    this.cf = store.families();
    this.view = writer.view;
    this.dir = store.dir();
    this.openTags = writer.openTags;
    this.registrations = new BatchRegistrations(this, view, dir);
    this.images = new LatestImages(registrations, writer.indexReads);
    this.writes = store.stagedWrites();
    this.parts = new BatchParts(store, writes, writer.nextSeq);
    this.firstSeq = writer.nextSeq;
    this.seq = writer.nextSeq;
    this.hash = writer.lastHash;
  }

  /**
   * Appends a change. A value the log left out ({@link Row#UNAVAILABLE}) is filled from the
   * change's own before image, or from the row's previous version; if neither has it the append
   * fails rather than store a placeholder.
   */
  public JournalEntry append(ChangeEvent event) {
    checkUsable();
    int[] tableAndSchema = registrations.ids(event.schema());
    int tableNo = tableAndSchema[0];
    int schemaId = tableAndSchema[1];
    byte[] keyBytes = event.key().encode();
    ChangeEvent complete = images.fillUnavailable(event, tableNo, keyBytes);
    long s = seq;
    buffer.reset();
    EntryCodec.encode(buffer, schemaId, complete);
    byte[] record = buffer.toByteArray();
    String actor = Attribution.of(openTags.get(complete.txId()), complete).actor();
    try {
      putRecord(s, record);
      cf.changeKeys(
          tableNo,
          keyBytes,
          s,
          complete.commitMicros(),
          complete.txId(),
          actor,
          (family, key) -> writes.put(family, key, EMPTY));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "stage entry " + s, e);
    }
    entries++;
    changes++;
    JournalEntry entry = new JournalEntry(s, complete);
    sinceMark.add(new Pending(s, complete.txId(), complete.actor()));
    images.appended(tableNo, keyBytes, record, complete);
    parts.added(seq);
    return entry;
  }

  /**
   * Journals a {@code TRUNCATE} of {@code table}: a {@link Op#TRUNCATE} change for every row the
   * journal has there (its newest version, this transaction's included, unless that removed the
   * row), the row's last image as its before image, in key order from {@code firstOrder} within the
   * transaction. Returns the changes appended.
   */
  public List<JournalEntry> truncate(
      TableId table, long commitMicros, String txId, String position, int firstOrder) {
    checkUsable();
    Integer no = registrations.tableNoIfKnown(table);
    if (no == null) {
      return List.of(); // the journal knows no row of it
    }
    // the rows this batch changed are now truncated: forget their images here
    images.truncated(no);
    List<JournalEntry> out = new ArrayList<>();
    forEachLiveRow(
        no,
        Long.MAX_VALUE,
        last ->
            out.add(
                append(
                    new ChangeEvent(
                        last.schema(),
                        Op.TRUNCATE,
                        last.after(),
                        null,
                        commitMicros,
                        txId,
                        position,
                        firstOrder + out.size()))));
    return out;
  }

  /**
   * Ends a snapshot of {@code table} taken after a gap: each row the journal has there whose newest
   * version came before the snapshot ({@code snapshotFirstSeq}) was not read by it, so it was
   * removed inside the gap. Journals an {@link Op#ABSENT} change for each; returns how many.
   */
  public int removeUnread(
      TableId table, long snapshotFirstSeq, long micros, String txId, String position) {
    checkUsable();
    Integer no = registrations.tableNoIfKnown(table);
    if (no == null) {
      return 0;
    }
    int[] n = {0};
    forEachLiveRow(
        no,
        snapshotFirstSeq,
        last ->
            append(
                new ChangeEvent(
                    last.schema(), Op.ABSENT, last.after(), null, micros, txId, position, n[0]++)));
    return n[0];
  }

  /**
   * The row's newest image as the journal has it now (this batch and the open transaction
   * included): empty when the journal knows no version of it, or its newest version removed it.
   */
  public Optional<Row> latestImage(TableId table, RowKey key) {
    checkUsable();
    Integer no = registrations.tableNoIfKnown(table);
    return no == null ? Optional.empty() : Optional.ofNullable(images.latest(no, key.encode()));
  }

  /** The sequence number the next record of this batch gets. */
  public long nextSeq() {
    return seq;
  }

  /**
   * Visits the newest version of each row of a table that still exists and came before {@code
   * beforeSeq}, in key order ({@link LiveRows}): what the journal committed, earlier parts of this
   * transaction and this batch (written out first, so that the index has them).
   */
  private void forEachLiveRow(int tableNo, long beforeSeq, Consumer<ChangeEvent> visitor) {
    parts.writeOut(seq);
    // this batch's own schemas are not registered yet: decode through them
    new LiveRows(store, view, registrations::schemaInBatch).forEach(tableNo, beforeSeq, visitor);
  }

  /** Stages a registration of a table or schema: its log record and its {@code schemas} entry. */
  void register(byte[] record, byte[] key, byte[] value) throws RocksDBException {
    putRecord(seq, record);
    writes.put(cf.schemas(), key, value);
  }

  private void putRecord(long s, byte[] record) throws RocksDBException {
    hash = chain.link(hash, s, record);
    writes.put(cf.log(), Keys.seq(s), LogRecords.value(record, hash));
    seq = s + 1;
  }

  /** Values this batch stored as unknown: the log left them out and no earlier version had them. */
  public long unknownValues() {
    return images.unknownValues();
  }

  /**
   * Records what a rowguard message said about a transaction. The first message of a transaction
   * that names an actor attributes every change of it, before and after the message.
   */
  public void tag(String txId, TransactionTag tag) {
    checkUsable();
    TransactionTag known = openTags.get(txId);
    tagged.add(txId);
    long s = seq;
    try {
      putRecord(s, LogRecords.note(txId, tag));
      cf.noteKeys(
          new LogRecords.Note(txId, tag), s, (family, key) -> writes.put(family, key, EMPTY));
      if (tag.actor() != null && (known == null || known.actor() == null)) {
        for (Pending earlier : changesOfOpenTransaction(txId)) {
          if (earlier.actor() != null) {
            writes.delete(cf.actors(), Keys.actor(earlier.actor(), earlier.seq()));
          }
          writes.put(cf.actors(), Keys.actor(tag.actor(), earlier.seq()), EMPTY);
        }
        openTags.put(txId, tag);
      } else if (known == null) {
        openTags.put(txId, tag);
      }
    } catch (RocksDBException e) {
      throw new JournalException(dir, "stage the note of transaction " + txId, e);
    }
    entries++;
  }

  /** Changes of {@code txId} appended but not yet committed: earlier batches' and this one's. */
  private List<Pending> changesOfOpenTransaction(String txId) {
    List<Pending> out = new ArrayList<>();
    byte[] prefix = Keys.txPrefix(txId);
    try (RocksIterator it = cf.db().newIterator(cf.tx())) {
      for (it.seek(Keys.tx(txId, view.watermark() + 1));
          it.isValid() && Keys.startsWith(it.key(), prefix);
          it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s < firstSeq && it.key().length == prefix.length + 8) {
          out.add(new Pending(s, txId, writer.logReads.entry(s).event().actor()));
        }
      }
      store.checkIterator(it, "read transaction " + txId);
    }
    for (Pending p : sinceMark) {
      if (p.txId().equals(txId)) {
        out.add(p);
      }
    }
    return out;
  }

  /** What a note arriving late needs of a change of its transaction. */
  private record Pending(long seq, String txId, String actor) {}

  /**
   * Declares that everything appended so far, in this batch and earlier ones, completes the source
   * transactions it belongs to. The watermark moves there only if this batch also stores offsets:
   * entries past the stored offsets would be delivered again after a crash.
   */
  public void markCommitted() {
    checkUsable();
    committedUpTo = seq - 1;
    hashAtMark = hash;
    changesAtMark = changes;
    sinceMark.clear();
    openTags.clear();
  }

  /** Stages the source offsets to store with this batch's entries. */
  public void putOffsets(Map<ByteBuffer, ByteBuffer> values) {
    checkUsable();
    hasOffsets = true;
    writer.sourceOffsets.stage(writes, values);
  }

  /**
   * Stages records of the source's schema history (Debezium's, for sources that need one) to store
   * with this batch's offsets, after those stored already. They are source state like the offsets:
   * a journal that forgets its offsets forgets them in the same write.
   */
  public void putSchemaHistory(List<byte[]> records) {
    checkUsable();
    if (records.isEmpty()) {
      return;
    }
    writer.sourceOffsets.stageSchemaHistory(writes, records);
  }

  /**
   * Stages a gap record, which closes the gap recorded at {@code closes} (or none: 0); returns its
   * sequence number.
   */
  public long writeGap(Gap gap, long closes) {
    checkUsable();
    long s = seq;
    try {
      putRecord(s, LogRecords.gap(gap, closes));
      writes.put(cf.meta(), Keys.concat(MetaKeys.GAP_PREFIX, Keys.seq(s)), Keys.seq(s));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "stage a gap record", e);
    }
    entries++;
    return s;
  }

  /**
   * Records that {@code table}'s rows have base versions in the journal from {@code micros} on (a
   * snapshot of it was journaled), with the batch: a table without one is snapshotted when capture
   * finds it.
   */
  public void markBased(TableId table, long micros) {
    checkUsable();
    // written once everything before it is committed: a snapshot dropped with an incomplete
    // tail must not leave its table marked as based
    writer.pendingBased.add(new JournalWriter.BasedMark(table, micros, seq));
  }

  /** Records (changes and notes) appended to this batch. */
  public int entries() {
    return entries;
  }

  /** Changes appended to this batch. */
  public int changes() {
    return changes;
  }

  public boolean isDone() {
    return done;
  }

  /** Writes everything staged in one atomic, fsynced write. */
  public void commit() {
    checkUsable();
    boolean moves = committedUpTo >= 0 && hasOffsets && committedUpTo != view.watermark();
    long counted = writer.appended + writer.pendingChanges + changesAtMark;
    parts.await();
    // the entries become visible (the watermark moves) before anyone can read the offsets
    // written with them: a reader that sees the offsets sees the entries
    synchronized (store.visibilityLock()) {
      try {
        if (moves) {
          writes.put(cf.meta(), MetaKeys.WATERMARK, Keys.seq(committedUpTo));
          writes.put(cf.meta(), MetaKeys.HEAD, hashAtMark);
          writes.put(cf.meta(), MetaKeys.APPENDED, Keys.seq(counted));
          for (JournalWriter.BasedMark m : writer.pendingBased) {
            if (m.seq() <= committedUpTo + 1) {
              writes.put(
                  cf.meta(),
                  Keys.concat(MetaKeys.BASED_PREFIX, Registry.tableRecord(m.table())),
                  new BinaryWriter(10).writeSignedVarLong(m.micros()).toByteArray());
            }
          }
        }
        try (WriteBatch last = writes.takeBatch()) {
          cf.db().write(store.syncWrite(), last);
        }
      } catch (RocksDBException e) {
        throw store.fail(
            new JournalException(dir, "write of entries " + firstSeq + ".." + (seq - 1), e));
      }
      done = true;
      tagged.forEach(writer.notes::forgetTag);
      registrations.publish();
      writer.nextSeq = seq;
      writer.lastHash = hash;
      if (moves) {
        long upTo = committedUpTo;
        writer.pendingBased.removeIf(m -> m.seq() <= upTo + 1);
        writer.appended = counted;
        writer.pendingChanges = changes - changesAtMark;
        view.moveWatermark(committedUpTo);
      } else {
        writer.pendingChanges += changes;
      }
    }
  }

  private void checkUsable() {
    store.checkOpen();
    if (done) {
      throw new IllegalStateException("batch already committed");
    }
  }

  /**
   * Releases the batch. If it was not committed, nothing of it is visible; if parts of it were
   * written ahead, the journal stops until it is reopened, which drops them.
   */
  public void close() {
    boolean abandoned = !done && parts.written();
    done = true;
    try {
      parts.await();
    } catch (JournalException e) {
      // already the journal's failure
    }
    if (abandoned) {
      store.fail(
          new JournalException(
              dir, "a batch was given up after part of it was written; reopen the journal"));
    }
    if (!released) {
      released = true;
      writer.release();
    }
  }
}
