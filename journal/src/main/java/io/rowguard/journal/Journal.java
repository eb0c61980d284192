package io.rowguard.journal;

import io.rowguard.core.Attribution;
import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.Undo;
import io.rowguard.journal.internal.Chain;
import io.rowguard.journal.internal.EntryCodec;
import io.rowguard.journal.internal.Families;
import io.rowguard.journal.internal.IndexReads;
import io.rowguard.journal.internal.JournalView;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.LogCursor;
import io.rowguard.journal.internal.LogReads;
import io.rowguard.journal.internal.LogRecords;
import io.rowguard.journal.internal.MetaKeys;
import io.rowguard.journal.internal.Registry;
import io.rowguard.journal.internal.RocksNative;
import io.rowguard.journal.internal.SchemaCodec;
import io.rowguard.journal.internal.SourceOffsets;
import io.rowguard.journal.internal.StagedWrites;
import io.rowguard.journal.internal.Store;
import io.rowguard.journal.internal.TableReads;
import io.rowguard.journal.internal.TransactionNotes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The RocksDB journal of one guarded database.
 *
 * <p>One process writes ({@link #openWriter}); any number read at the same time ({@link
 * #openReader}, a RocksDB secondary instance that never blocks the writer). The writer appends in
 * {@link Batch}es: a batch's entries, their indexes and the source offsets that produced them are
 * one atomic, fsynced RocksDB write.
 *
 * <p>The log holds changes, notes (what a rowguard message said about a transaction) and the
 * journal's own records (retention, gaps), each followed by a hash chained to the previous
 * record's, so that {@link #verify} finds any record altered, removed or moved behind the journal's
 * back.
 *
 * <p>The journal keeps a <em>watermark</em>: the last record that ends a complete source
 * transaction. Records past it belong to a transaction still being received; readers do not see
 * them, and a writer that opens a journal after a crash deletes them, because the source redelivers
 * that transaction from its start (the stored offsets only ever point at transaction boundaries).
 */
public final class Journal implements AutoCloseable {
  static {
    RocksNative.load();
  }

  /**
   * The journal format this version writes: 2 adds the hash chain, notes and actors; 3 adds
   * truncated and absent rows, values the journal does not know, gaps of one table and the source
   * binding. A format-2 journal is a format-3 journal without them: opening it for writing restamps
   * it, so that an older rowguard refuses it rather than misread what follows.
   */
  static final int FORMAT = 3;

  private static final byte[] EMPTY = new byte[0];

  private final Store store;
  private final Path dir;
  private final boolean writer;
  final Families cf;
  private final JournalView view;
  private final LogReads logReads;
  private final IndexReads indexReads;
  private final TableReads tableReads;
  private final TransactionNotes notes;
  private final SourceOffsets sourceOffsets;

  /** Gaps, the binding, base versions: the journal's records about its source. */
  private final SourceState sourceState;

  // Writer state: changed under writeLock (held by an open Batch, or by a system record append).
  private final Semaphore writeLock = new Semaphore(1);
  private long nextSeq;
  private byte[] lastHash;
  private volatile long appended;
  private long pendingChanges;
  private final Map<String, TransactionTag> openTags = new HashMap<>();
  private final List<BasedMark> pendingBased = new ArrayList<>();

  /** A table's base version, journaled up to {@code seq} (exclusive). */
  private record BasedMark(TableId table, long micros, long seq) {}

  private Batch openBatch;

  private Journal(Store store) {
    this.store = store;
    this.dir = store.dir();
    this.writer = store.isWriter();
    this.cf = store.families();
    this.view = new JournalView(store);
    this.logReads = new LogReads(store, view);
    this.indexReads = new IndexReads(store, view, logReads);
    this.tableReads = new TableReads(store, view, logReads);
    this.notes = new TransactionNotes(store, view, indexReads);
    this.sourceOffsets = new SourceOffsets(store);
    this.sourceState = new SourceState(this);
  }

  /** Opens (creating it owner-only if missing) the journal for the one capture that writes it. */
  public static Journal openWriter(Path dir) {
    JournalBackups.finishInterruptedRestore(dir);
    JournalDirectory.prepareForWriting(dir);
    Journal j = new Journal(Store.openWriter(dir, JournalException::new));
    try {
      j.view.reload();
      j.openFormat();
      j.truncateIncompleteTail();
      j.nextSeq = j.view.watermark() + 1;
      j.lastHash = j.hashAt(j.view.watermark());
      j.appended = j.store.readCounter(MetaKeys.APPENDED);
      j.store.registerWriter();
      return j;
    } catch (RuntimeException e) {
      j.close();
      throw e;
    }
  }

  /**
   * Checks that this process can read the journal at {@code dir}: an {@link InputException} that
   * says whether it is missing or unreadable, and why, otherwise.
   */
  public static void checkReadable(Path dir) {
    JournalDirectory.checkReadable(dir);
  }

  /** Opens the journal for reading while a capture may be writing it. */
  public static Journal openReader(Path dir) {
    JournalDirectory.checkReadable(dir);
    Journal j = new Journal(Store.openReader(dir, JournalException::new));
    try {
      j.refresh();
      return j;
    } catch (RuntimeException e) {
      j.close();
      throw e;
    }
  }

  public Path dir() {
    return dir;
  }

  /** Catches a reader up with the writer's latest committed state. */
  public void refresh() {
    checkOpen();
    if (!writer) {
      store.catchUpWithPrimary();
      view.reload();
      byte[] format = store.get(cf.meta(), MetaKeys.FORMAT_KEY, "read the format");
      if (format != null && new BinaryReader(format).readInt() > FORMAT) {
        throw new JournalException(
            dir,
            "was written by a newer rowguard (journal format "
                + new BinaryReader(format).readInt()
                + ", this version reads up to "
                + FORMAT
                + "); upgrade rowguard");
      }
      view.setChained(format != null || logReads.isLogEmpty());
      byte[] id = store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id");
      view.setJournalId(id);
      notes.clear();
    }
  }

  /**
   * Checks the format on the writer: stamps a new journal, upgrades one written before the hash
   * chain existed, refuses one from a newer rowguard.
   */
  private void openFormat() {
    byte[] format = store.get(cf.meta(), MetaKeys.FORMAT_KEY, "read the format");
    if (format != null) {
      int f = new BinaryReader(format).readInt();
      if (f > FORMAT) {
        throw new JournalException(
            dir,
            "was written by a newer rowguard (journal format "
                + f
                + ", this version reads up to "
                + FORMAT
                + "); upgrade rowguard");
      }
      view.setJournalId(store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id"));
      if (f < FORMAT) {
        try (WriteBatch b = new WriteBatch()) {
          b.put(cf.meta(), MetaKeys.FORMAT_KEY, new BinaryWriter(4).writeInt(FORMAT).toByteArray());
          cf.db().write(store.syncWrite(), b);
        } catch (RocksDBException e) {
          throw new JournalException(dir, "stamp the journal format", e);
        }
      }
      return;
    }
    if (logReads.isLogEmpty()) {
      byte[] id = new byte[16];
      new SecureRandom().nextBytes(id);
      try (WriteBatch b = new WriteBatch()) {
        b.put(cf.meta(), MetaKeys.JOURNAL_ID, id);
        b.put(cf.meta(), MetaKeys.FORMAT_KEY, new BinaryWriter(4).writeInt(FORMAT).toByteArray());
        cf.db().write(store.syncWrite(), b);
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stamp the journal format", e);
      }
      view.setJournalId(id);
      return;
    }
    view.setChained(false);
    truncateIncompleteTail();
    new LegacyUpgrade(this).run();
    view.setChained(true);
    view.setJournalId(store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id"));
    view.loadWatermark();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Starts a batch. One batch at a time; a batch not committed leaves no trace. Waits while a
   * journal record of its own (retention, gap) is being written.
   */
  public Batch newBatch() {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    writeLock.acquireUninterruptibly();
    if (openBatch != null) {
      writeLock.release();
      throw new IllegalStateException("a batch is already open on journal " + dir);
    }
    openBatch = new Batch();
    return openBatch;
  }

  /**
   * Entries between two of these are written as one part of a batch, in the background while the
   * batch goes on: on two cores that takes RocksDB's work off the thread that receives changes.
   */
  static final int PART_ENTRIES = 512;

  /**
   * A set of entries, index records and offsets that becomes durable and visible at once. Parts of
   * a large batch are written ahead, unsynced and past the watermark, which readers and a reopened
   * journal ignore; the last part, with the offsets and the watermark, is written and fsynced by
   * {@link #commit()}.
   */
  public final class Batch implements AutoCloseable {
    private final StagedWrites writes = store.stagedWrites();
    private Future<?> partWrite;
    private String partRange;
    private long partStart = nextSeq;
    private boolean partsWritten;
    private int partEntries;
    private final BinaryWriter buffer = new BinaryWriter(4096);
    private final Chain chain = new Chain();
    private final long firstSeq = nextSeq;
    // this batch's encoded changes, decoded again only if a later change needs a row's image:
    // bytes rather than decoded rows, so that a young collection has little of the batch to copy
    private final List<byte[]> batchRecords = new ArrayList<>();
    // the latest image of each row this batch changed, built only when a change needs it
    private Map<ByteBuffer, Row> latestImages;
    private ChangeEvent lastAppended;
    private long unknownValues;
    // tables this batch truncated: a row of one of them that the batch did not write again is gone
    private final Set<Integer> truncatedTables = new java.util.HashSet<>();
    // table number and schema id per schema object: capture reuses one object per table version
    private final Map<TableSchema, int[]> ids = new IdentityHashMap<>();
    private final Map<TableId, Integer> newTables = new LinkedHashMap<>();
    private final Map<TableSchema, Integer> newSchemas = new LinkedHashMap<>();
    private final List<Pending> sinceMark = new ArrayList<>();
    private final List<String> tagged = new ArrayList<>();
    private long seq = nextSeq;
    private byte[] hash = lastHash;
    private long committedUpTo = -1;
    private byte[] hashAtMark;
    private boolean hasOffsets;
    private boolean done;
    private boolean released;
    private int entries;
    private int changes;
    private int changesAtMark;

    private Batch() {}

    /**
     * Appends a change. A value the log left out ({@link Row#UNAVAILABLE}) is filled from the
     * change's own before image, or from the row's previous version; if neither has it the append
     * fails rather than store a placeholder.
     */
    public JournalEntry append(ChangeEvent event) {
      checkUsable();
      int[] tableAndSchema = ids(event.schema());
      int tableNo = tableAndSchema[0];
      int schemaId = tableAndSchema[1];
      byte[] keyBytes = event.key().encode();
      ChangeEvent complete = fillUnavailable(event, tableNo, keyBytes);
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
      lastAppended = complete;
      JournalEntry entry = new JournalEntry(s, complete);
      sinceMark.add(new Pending(s, complete.txId(), complete.actor()));
      if (latestImages != null) {
        latestImages.put(rowId(tableNo, keyBytes), complete.after());
      } else {
        batchRecords.add(record);
      }
      if (++partEntries >= PART_ENTRIES) {
        writePartAhead();
      }
      return entry;
    }

    /**
     * Journals a {@code TRUNCATE} of {@code table}: a {@link Op#TRUNCATE} change for every row the
     * journal has there (its newest version, this transaction's included, unless that removed the
     * row), the row's last image as its before image, in key order from {@code firstOrder} within
     * the transaction. Returns the changes appended.
     */
    public List<JournalEntry> truncate(
        TableId table, long commitMicros, String txId, String position, int firstOrder) {
      checkUsable();
      Integer no = tableNoIfKnown(table);
      if (no == null) {
        return List.of(); // the journal knows no row of it
      }
      // the rows this batch changed are now truncated: forget their images here
      latestImages().keySet().removeIf(k -> new BinaryReader(k.array(), 0, 4).readInt() == no);
      truncatedTables.add(no);
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
     * Ends a snapshot of {@code table} taken after a gap: each row the journal has there whose
     * newest version came before the snapshot ({@code snapshotFirstSeq}) was not read by it, so it
     * was removed inside the gap. Journals an {@link Op#ABSENT} change for each; returns how many.
     */
    public int removeUnread(
        TableId table, long snapshotFirstSeq, long micros, String txId, String position) {
      checkUsable();
      Integer no = tableNoIfKnown(table);
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
                      last.schema(),
                      Op.ABSENT,
                      last.after(),
                      null,
                      micros,
                      txId,
                      position,
                      n[0]++)));
      return n[0];
    }

    /**
     * The row's newest image as the journal has it now (this batch and the open transaction
     * included): empty when the journal knows no version of it, or its newest version removed it.
     */
    public Optional<Row> latestImage(TableId table, RowKey key) {
      checkUsable();
      Integer no = tableNoIfKnown(table);
      return no == null
          ? Optional.empty()
          : Optional.ofNullable(previousImage(rowId(no, key.encode())));
    }

    /** The journal this batch writes. */
    public Journal journal() {
      return Journal.this;
    }

    /** The sequence number the next record of this batch gets. */
    public long nextSeq() {
      return seq;
    }

    private Integer tableNoIfKnown(TableId table) {
      Integer no = view.registry().tableNo(table);
      return no != null ? no : newTables.get(table);
    }

    /**
     * Visits the newest version of each row of a table that still exists and came before {@code
     * beforeSeq}, in key order ({@link LiveRows}): what the journal committed, earlier parts of
     * this transaction and this batch (written out first, so that the index has them).
     */
    private void forEachLiveRow(
        int tableNo, long beforeSeq, java.util.function.Consumer<ChangeEvent> visitor) {
      if (partEntries > 0) {
        writePartAhead();
      }
      awaitPart();
      // this batch's own schemas are not registered yet: decode through them
      new LiveRows(Journal.this, this::schemaInBatch).forEach(tableNo, beforeSeq, visitor);
    }

    /** Hands what is staged to the background writer; at most one part is being written. */
    private void writePartAhead() {
      awaitPart();
      byte[] part = writes.take();
      partRange = partStart + ".." + (seq - 1);
      partStart = seq;
      partEntries = 0;
      partsWritten = true;
      partWrite = store.writeAhead(part);
    }

    private void awaitPart() {
      Future<?> f = partWrite;
      if (f == null) {
        return;
      }
      partWrite = null;
      try {
        f.get();
      } catch (ExecutionException e) {
        throw store.fail(new JournalException(dir, "write of entries " + partRange, e.getCause()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw store.fail(
            new JournalException(dir, "wait for the write of entries " + partRange, e));
      }
    }

    private int[] ids(TableSchema schema) {
      int[] known = ids.get(schema);
      if (known == null) {
        known = new int[] {tableNo(schema.table()), schemaId(schema)};
        ids.put(schema, known);
      }
      return known;
    }

    private static ByteBuffer rowId(int tableNo, byte[] keyBytes) {
      return ByteBuffer.wrap(Keys.rowPrefix(tableNo, keyBytes));
    }

    private void putRecord(long s, byte[] record) throws RocksDBException {
      hash = chain.link(hash, s, record);
      writes.put(cf.log(), Keys.seq(s), LogRecords.value(record, hash));
      seq = s + 1;
    }

    private ChangeEvent fillUnavailable(ChangeEvent e, int tableNo, byte[] keyBytes) {
      Row before = e.before();
      Row after = e.after();
      boolean beforeMissing = before != null && before.hasUnavailable();
      boolean afterMissing = after != null && after.hasUnavailable();
      if (!beforeMissing && !afterMissing) {
        return e;
      }
      ByteBuffer rowId = rowId(tableNo, keyBytes);
      if (beforeMissing) {
        before = fill(before, previousImage(rowId), e);
      }
      if (afterMissing) {
        Row source = before != null ? before : previousImage(rowId);
        if (source == null && e.op() == Op.INSERT) {
          source = movedFrom(e);
        }
        after = fill(after, source, e);
      }
      return e.withImages(before, after);
    }

    /**
     * The row an insert moved from: an update of a primary key arrives as a delete of the old key
     * and an insert of the new, and the insert leaves out the unchanged TOASTed values the delete's
     * before image has.
     */
    private Row movedFrom(ChangeEvent insert) {
      ChangeEvent d = lastAppended;
      return d != null
              && d.op() == Op.DELETE
              && d.txId().equals(insert.txId())
              && d.table().equals(insert.table())
          ? d.before()
          : null;
    }

    /**
     * Fills the values the log left out from {@code source}, the row's previous image. What that
     * does not have either becomes {@link Row#MISSING}: stored as unknown, never written back, and
     * a rollback that needs it refuses the row.
     */
    private Row fill(Row target, Row source, ChangeEvent e) {
      Row filled = target;
      for (int i = 0; i < target.size(); i++) {
        if (target.get(i) != Row.UNAVAILABLE) {
          continue;
        }
        String column = target.schema().column(i).name();
        int j = source == null ? -1 : source.schema().indexOf(column);
        Object value = j < 0 || source.get(j) == Row.UNAVAILABLE ? Row.MISSING : source.get(j);
        if (value == Row.MISSING) {
          unknownValues++;
        }
        filled = filled.with(i, value);
      }
      return filled;
    }

    /**
     * Values this batch stored as unknown: the log left them out and no earlier version had them.
     */
    public long unknownValues() {
      return unknownValues;
    }

    /** The latest image of each row this batch changed, decoded when first needed. */
    private Map<ByteBuffer, Row> latestImages() {
      if (latestImages == null) {
        latestImages = new HashMap<>();
        for (byte[] record : batchRecords) {
          ChangeEvent ev = EntryCodec.decode(record, this::schemaInBatch);
          latestImages.put(rowId(ids(ev.schema())[0], ev.key().encode()), ev.after());
        }
        batchRecords.clear();
      }
      return latestImages;
    }

    private Row previousImage(ByteBuffer rowId) {
      if (latestImages().containsKey(rowId)) {
        return latestImages.get(rowId);
      }
      if (!truncatedTables.isEmpty()
          && truncatedTables.contains(new BinaryReader(rowId.array(), 0, 4).readInt())) {
        return null; // removed by a truncate earlier in this batch, not written since
      }
      Optional<JournalEntry> last = indexReads.lastVersion(rowId.array(), Long.MAX_VALUE);
      return last.map(en -> en.event().after()).orElse(null);
    }

    private int tableNo(TableId table) {
      Integer no = view.registry().tableNo(table);
      if (no == null) {
        no = newTables.get(table);
      }
      if (no == null) {
        no = view.registry().tableCount() + newTables.size() + 1;
        newTables.put(table, no);
        byte[] key = Registry.key(Registry.TABLE_RECORD, no);
        byte[] value = Registry.tableRecord(table);
        try {
          putRecord(seq, LogRecords.table(key, value));
          writes.put(cf.schemas(), key, value);
        } catch (RocksDBException e) {
          throw new JournalException(dir, "stage table " + table, e);
        }
      }
      return no;
    }

    private int schemaId(TableSchema schema) {
      Integer id = view.registry().schemaId(schema);
      if (id == null) {
        id = newSchemas.get(schema);
      }
      if (id == null) {
        id = view.registry().schemaCount() + newSchemas.size() + 1;
        newSchemas.put(schema, id);
        byte[] key = Registry.key(Registry.SCHEMA_RECORD, id);
        byte[] value = SchemaCodec.encode(schema);
        try {
          putRecord(seq, LogRecords.schema(key, value));
          writes.put(cf.schemas(), key, value);
        } catch (RocksDBException e) {
          throw new JournalException(dir, "stage schema of " + schema.table(), e);
        }
      }
      return id;
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
            out.add(new Pending(s, txId, entry(s).event().actor()));
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

    /** A schema by id, including those this batch registers. */
    private TableSchema schemaInBatch(int id) {
      for (Map.Entry<TableSchema, Integer> e : newSchemas.entrySet()) {
        if (e.getValue() == id) {
          return e.getKey();
        }
      }
      return view.schemaById(id);
    }

    /** What a note arriving late needs of a change of its transaction. */
    private record Pending(long seq, String txId, String actor) {}

    /**
     * Declares that everything appended so far, in this batch and earlier ones, completes the
     * source transactions it belongs to. The watermark moves there only if this batch also stores
     * offsets: entries past the stored offsets would be delivered again after a crash.
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
      sourceOffsets.stage(writes, values);
    }

    /**
     * Stages records of the source's schema history (Debezium's, for sources that need one) to
     * store with this batch's offsets, after those stored already. They are source state like the
     * offsets: a journal that forgets its offsets forgets them in the same write.
     */
    public void putSchemaHistory(List<byte[]> records) {
      checkUsable();
      if (records.isEmpty()) {
        return;
      }
      sourceOffsets.stageSchemaHistory(writes, records);
    }

    /**
     * Records a gap found while changes arrive (a table that stopped sending full before images):
     * it becomes visible, and durable, with the batch.
     */
    public Gap recordGap(Gap gap) {
      return writeGap(gap, 0);
    }

    /** Ends an open gap at {@code micros} and {@code position}, with the batch. */
    public Gap closeGap(Gap open, long micros, String position) {
      return writeGap(open.closedAt(micros, position), open.seq());
    }

    private Gap writeGap(Gap gap, long closes) {
      checkUsable();
      long s = seq;
      try {
        putRecord(s, LogRecords.gap(gap, closes));
        writes.put(cf.meta(), Keys.concat(MetaKeys.GAP_PREFIX, Keys.seq(s)), Keys.seq(s));
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage a gap record", e);
      }
      entries++;
      return gap.at(s);
    }

    /**
     * Records that {@code table}'s rows have base versions in the journal from {@code micros} on (a
     * snapshot of it was journaled), with the batch: a table without one is snapshotted when
     * capture finds it.
     */
    public void markBased(TableId table, long micros) {
      checkUsable();
      // written once everything before it is committed: a snapshot dropped with an incomplete
      // tail must not leave its table marked as based
      pendingBased.add(new BasedMark(table, micros, seq));
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
      long counted = appended + pendingChanges + changesAtMark;
      awaitPart();
      try {
        if (moves) {
          writes.put(cf.meta(), MetaKeys.WATERMARK, Keys.seq(committedUpTo));
          writes.put(cf.meta(), MetaKeys.HEAD, hashAtMark);
          writes.put(cf.meta(), MetaKeys.APPENDED, Keys.seq(counted));
          for (BasedMark m : pendingBased) {
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
      tagged.forEach(notes::forgetTag);
      view.publish(view.registry().with(newTables, newSchemas));
      nextSeq = seq;
      lastHash = hash;
      if (moves) {
        long upTo = committedUpTo;
        pendingBased.removeIf(m -> m.seq() <= upTo + 1);
        appended = counted;
        pendingChanges = changes - changesAtMark;
        view.moveWatermark(committedUpTo);
      } else {
        pendingChanges += changes;
      }
    }

    private void checkUsable() {
      checkOpen();
      if (done) {
        throw new IllegalStateException("batch already committed");
      }
    }

    /**
     * Releases the batch. If it was not committed, nothing of it is visible; if parts of it were
     * written ahead, the journal stops until it is reopened, which drops them.
     */
    @Override
    public void close() {
      boolean abandoned = !done && partsWritten;
      done = true;
      try {
        awaitPart();
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
        openBatch = null;
        writeLock.release();
      }
    }
  }

  /**
   * Appends one of the journal's own records (retention, gap) and moves the watermark past it, with
   * {@code metaPuts(seq)} written in the same write. Only possible between source transactions:
   * returns -1, writing nothing, while one is still arriving; else the record's sequence number.
   */
  long appendSystemRecord(
      byte[] record, java.util.function.LongFunction<Map<byte[], byte[]>> metaPuts) {
    return appendSystemRecord(record, metaPuts, false);
  }

  long appendSystemRecord(
      byte[] record,
      java.util.function.LongFunction<Map<byte[], byte[]>> metaPuts,
      boolean forgetOffsets) {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    writeLock.acquireUninterruptibly();
    try {
      if (view.watermark() != nextSeq - 1) {
        return -1;
      }
      long s = nextSeq;
      byte[] hash = new Chain().link(lastHash, s, record);
      try (WriteBatch b = new WriteBatch()) {
        b.put(cf.log(), Keys.seq(s), LogRecords.value(record, hash));
        b.put(cf.meta(), MetaKeys.WATERMARK, Keys.seq(s));
        b.put(cf.meta(), MetaKeys.HEAD, hash);
        for (Map.Entry<byte[], byte[]> e : metaPuts.apply(s).entrySet()) {
          b.put(cf.meta(), e.getKey(), e.getValue());
        }
        if (forgetOffsets) {
          sourceOffsets.forget(b);
        }
        cf.db().write(store.syncWrite(), b);
      } catch (RocksDBException e) {
        throw store.fail(new JournalException(dir, "write journal record " + s, e));
      }
      nextSeq = s + 1;
      lastHash = hash;
      view.moveWatermark(s);
      return s;
    } finally {
      writeLock.release();
    }
  }

  /**
   * Appends {@code record} between two source transactions, waiting up to {@code timeoutMillis} for
   * one; returns its sequence number.
   */
  long appendSystemRecordWaiting(
      byte[] record,
      java.util.function.LongFunction<Map<byte[], byte[]>> metaPuts,
      long timeoutMillis,
      String what) {
    return appendSystemRecordWaiting(record, metaPuts, false, timeoutMillis, what);
  }

  /** As above; with {@code forgetOffsets} the stored source offsets go in the same write. */
  long appendSystemRecordWaiting(
      byte[] record,
      java.util.function.LongFunction<Map<byte[], byte[]>> metaPuts,
      boolean forgetOffsets,
      long timeoutMillis,
      String what) {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (true) {
      long s = appendSystemRecord(record, metaPuts, forgetOffsets);
      if (s > 0) {
        return s;
      }
      if (System.nanoTime() > deadline) {
        throw new JournalException(
            dir,
            "could not write "
                + what
                + ": a source transaction kept arriving for "
                + timeoutMillis / 1000
                + " s");
      }
      Store.sleep(50);
    }
  }

  /**
   * Records a gap: changes the source committed that this journal will never hold (after a restore
   * from an older backup). Waits up to {@code timeoutMillis} for a moment between transactions.
   */
  public Gap recordGap(Gap gap, long timeoutMillis) {
    return sourceState.recordGap(gap, false, timeoutMillis);
  }

  /**
   * Records a gap if no source transaction is arriving right now; empty, writing nothing, while one
   * is (try again later).
   */
  public Optional<Gap> tryRecordGap(Gap gap) {
    return sourceState.tryRecordGap(gap);
  }

  /**
   * Records a gap and forgets the source offsets in the same write: the next capture starts over
   * from a new snapshot, whose rows are the base versions after the gap (and whose missing rows
   * were removed inside it). Done once: with no offsets left, the next start finds no gap.
   */
  public Gap restartAfterGap(Gap gap, long timeoutMillis) {
    return sourceState.recordGap(gap, true, timeoutMillis);
  }

  // ---------------------------------------------------------------- reading

  /**
   * The sequence numbers of a row's versions from {@code fromSeq} on, oldest first: read from the
   * row index alone, for a caller that holds some of the entries already.
   */
  public long[] versions(TableId table, RowKey key, long fromSeq) {
    try (RowVersions v = rowVersions()) {
      return v.of(table, key, fromSeq);
    }
  }

  /** A reader of many rows' versions through one iterator; close it. */
  public RowVersions rowVersions() {
    checkOpen();
    return new RowVersions();
  }

  /**
   * Reads the row index through one iterator, as of when it was opened: for a caller that asks for
   * many rows (a backout of a large transaction), an iterator per row costs more than the seek.
   */
  public final class RowVersions implements AutoCloseable {
    private final ReadOptions options = new ReadOptions().setPrefixSameAsStart(false);
    private final RocksIterator it = cf.db().newIterator(cf.rows(), options);
    private final long limit = view.watermark();

    private RowVersions() {}

    /** The sequence numbers of the row's versions from {@code fromSeq} on, oldest first. */
    public long[] of(TableId table, RowKey key, long fromSeq) {
      return indexReads.versions(it, limit, table, key, fromSeq);
    }

    @Override
    public void close() {
      it.close();
      options.close();
    }
  }

  /** Every committed version of one row, oldest first. */
  public List<JournalEntry> history(TableId table, RowKey key) {
    long[] seqs = versions(table, key, 0);
    List<JournalEntry> out = new ArrayList<>(seqs.length);
    for (long s : seqs) {
      out.add(logReads.entry(s));
    }
    return out;
  }

  /** The change with sequence number {@code seq}. */
  public JournalEntry entry(long seq) {
    return logReads.entry(seq);
  }

  /**
   * Visits committed changes in sequence order from {@code fromSeq}, until the visitor returns
   * false.
   */
  public void scan(long fromSeq, Predicate<JournalEntry> visitor) {
    logReads.scan(fromSeq, visitor);
  }

  /**
   * As {@link #scan}, passing over the sequence numbers in {@code skip} (ascending) without reading
   * them: a run of them is one seek.
   */
  public void scanExcept(long fromSeq, long[] skip, Predicate<JournalEntry> visitor) {
    logReads.scanExcept(fromSeq, skip, visitor);
  }

  /**
   * Visits committed changes newest first, from {@code fromSeq} (inclusive) down, until the visitor
   * returns false.
   */
  public void scanBackward(long fromSeq, Predicate<JournalEntry> visitor) {
    logReads.scanBackward(fromSeq, visitor);
  }

  /**
   * The sequence number of the first change committed at or after {@code micros}, found by
   * bisecting the log (commit order and time order agree up to a few concurrent commits); the
   * newest sequence number plus one if none.
   */
  public long seqAtTime(long micros) {
    return logReads.seqAtTime(micros);
  }

  /** The changes of one transaction, in order. */
  public List<JournalEntry> transaction(String txId) {
    return indexReads.transaction(txId);
  }

  /** Visits the changes of one transaction, oldest or newest first, until the visitor says stop. */
  public void forEachOfTransaction(
      String txId, boolean newestFirst, Predicate<JournalEntry> visitor) {
    indexReads.forEachOfTransaction(txId, newestFirst, visitor);
  }

  /**
   * Visits the changes attributed to {@code actor}, newest first, starting below {@code beforeSeq},
   * until the visitor says stop.
   */
  public void forEachOfActor(String actor, long beforeSeq, Predicate<JournalEntry> visitor) {
    indexReads.forEachOfActor(actor, beforeSeq, visitor);
  }

  /**
   * What the transaction's rowguard messages said: the first that names an actor, else the first;
   * empty when it had none.
   */
  public Optional<TransactionTag> tag(String txId) {
    return notes.tag(txId);
  }

  /**
   * The latest rowguard rollback or backout whose plan undid {@code txId}, from the rollback's own
   * message; empty when none did.
   */
  public Optional<Undo> undoneBy(String txId) {
    return notes.undoneBy(txId);
  }

  /**
   * Who made a change, from its transaction's message or from the change itself, and the rowguard
   * rollback that undid its transaction, if one did.
   */
  public Attribution attribution(JournalEntry entry) {
    return who(entry).undoneBy(undoneBy(entry.event().txId()).orElse(null));
  }

  /**
   * Who made a change, from its transaction's message or from the change itself: {@link
   * #attribution} without asking whether a rollback undid it (for work that needs only the actor).
   */
  public Attribution who(JournalEntry entry) {
    return Attribution.of(tag(entry.event().txId()).orElse(null), entry.event());
  }

  /**
   * Visits every row the journal has seen of a table, in key order, with the sequence numbers of
   * its committed versions, oldest first.
   */
  public void forEachRow(TableId table, Consumer<long[]> versions) {
    indexReads.forEachRow(table, versions);
  }

  /** The changes of one table committed in [fromMicros, toMicros), in commit order. */
  public List<JournalEntry> tableChanges(TableId table, long fromMicros, long toMicros) {
    return tableReads.tableChanges(table, fromMicros, toMicros);
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
    tableReads.forEachOfTable(table, fromMicros, toMicros, newestFirst, beforeSeq, visitor);
  }

  /**
   * Changes as the log stores them, decoded only when asked: so that a reader can hand decoding to
   * another thread. Their bytes share one array.
   */
  public final class StoredChanges {
    private final long[] seqs;
    private final int[] offsets;
    private byte[] bytes = new byte[64 * 1024];
    private int size;

    private StoredChanges(int capacity) {
      this.seqs = new long[capacity];
      this.offsets = new int[capacity + 1];
    }

    private boolean add(long seq, byte[] value, int valueLength) {
      if (value == null) {
        throw new JournalException(dir, "entry " + seq + " is indexed but missing from the log");
      }
      int length = valueLength;
      try {
        length = LogRecords.recordLength(valueLength, view.isChained());
      } catch (RuntimeException e) {
        throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
      }
      int at = offsets[size];
      if (at + length > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, at + length));
      }
      System.arraycopy(value, 0, bytes, at, length);
      seqs[size++] = seq;
      offsets[size] = at + length;
      return size == seqs.length;
    }

    public int size() {
      return size;
    }

    /** The bytes of the changes held, as stored. */
    public int bytes() {
      return offsets[size];
    }

    public long seq(int i) {
      return seqs[i];
    }

    /** Decodes change {@code i}, sharing equal strings with {@code previous} (or null). */
    public JournalEntry decode(int i, ChangeEvent previous) {
      return logReads.change(seqs[i], bytes, offsets[i], offsets[i + 1] - offsets[i], previous);
    }
  }

  /**
   * The changes of one table committed from {@code fromMicros} on, oldest first and undecoded, in
   * batches of up to {@code batchSize}.
   */
  public void forEachStoredOfTable(
      TableId table, long fromMicros, int batchSize, Predicate<StoredChanges> visitor) {
    checkOpen();
    Integer no = view.registry().tableNo(table);
    if (no == null) {
      return;
    }
    StoredChanges[] batch = {new StoredChanges(batchSize)};
    boolean[] stopped = {false};
    long limit = view.watermark(); // before the cursor: see forEachOfTable
    try (LogCursor log = new LogCursor(store)) {
      tableReads.forEachSeqOfTable(
          table,
          Keys.timePrefix(no, fromMicros),
          Keys.timePrefix(no, Long.MAX_VALUE),
          limit,
          false,
          s -> {
            if (batch[0].add(s, log.value(s), log.valueLength())) {
              stopped[0] = !visitor.test(batch[0]);
              batch[0] = new StoredChanges(batchSize);
            }
            return !stopped[0];
          });
    }
    if (!stopped[0] && batch[0].size() > 0) {
      visitor.test(batch[0]);
    }
  }

  /** The tables the journal has entries for. */
  public Set<TableId> tables() {
    checkOpen();
    return view.registry().tables();
  }

  /** The newest schema the journal has seen for a table. */
  public Optional<TableSchema> latestSchema(TableId table) {
    checkOpen();
    return view.registry().latestSchema(table);
  }

  /** The stored source offsets. */
  public Map<ByteBuffer, ByteBuffer> offsets() {
    return sourceOffsets.offsets();
  }

  /** The stored schema history records, oldest first (see {@link Batch#putSchemaHistory}). */
  public List<byte[]> schemaHistory() {
    return sourceOffsets.schemaHistory();
  }

  /** The sequence number of the newest committed record; 0 when empty. */
  public long lastSeq() {
    return view.watermark();
  }

  /**
   * The committed state at one instant: the newest committed record, its chain hash, and the
   * changes held.
   */
  public record CommittedState(long lastSeq, byte[] head, long changes) {}

  public CommittedState committedState() {
    checkOpen();
    org.rocksdb.Snapshot snapshot = cf.db().getSnapshot();
    try (ReadOptions ro = new ReadOptions().setSnapshot(snapshot)) {
      byte[] w = cf.db().get(cf.meta(), ro, MetaKeys.WATERMARK);
      byte[] h = cf.db().get(cf.meta(), ro, MetaKeys.HEAD);
      byte[] a = cf.db().get(cf.meta(), ro, MetaKeys.APPENDED);
      byte[] p = cf.db().get(cf.meta(), ro, MetaKeys.PRUNED);
      long lastSeq = w == null ? 0 : new BinaryReader(w).readLong();
      return new CommittedState(
          lastSeq,
          h == null ? Chain.genesis(view.journalId()) : h,
          (a == null ? 0 : new BinaryReader(a).readLong())
              - (p == null ? 0 : new BinaryReader(p).readLong()));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "read the committed state", e);
    } finally {
      cf.db().releaseSnapshot(snapshot);
    }
  }

  /** Changes ever committed to the journal, pruned ones included: it only grows. */
  public long changesCommitted() {
    checkOpen();
    return writer ? appended : store.readCounter(MetaKeys.APPENDED);
  }

  /** The number of committed changes the journal holds. */
  public long changeCount() {
    checkOpen();
    long committed = writer ? appended : store.readCounter(MetaKeys.APPENDED);
    return committed - store.readCounter(MetaKeys.PRUNED);
  }

  /** The gaps the journal knows of, oldest first. */
  public List<Gap> gaps() {
    return sourceState.gaps();
  }

  /** The gaps still open: what caused them is not fixed yet. */
  public List<Gap> openGaps() {
    return gaps().stream().filter(Gap::isOpen).toList();
  }

  /**
   * Ends an open gap at {@code micros} and {@code position}, with a record between two
   * transactions; returns the gap as closed.
   */
  public Gap closeGap(Gap open, long micros, String position, long timeoutMillis) {
    return sourceState.closeGap(open, micros, position, timeoutMillis);
  }

  /**
   * The tables whose rows have base versions, with when they got them. A journal written before
   * these were recorded has none: every table it holds was snapshotted when it began.
   */
  public Map<TableId, Long> basedTables() {
    return sourceState.basedTables();
  }

  /** The source this journal was bound to when capture first wrote it; empty before that. */
  public Optional<SourceBinding> binding() {
    return sourceState.binding();
  }

  /**
   * Binds the journal to its source (or records a new binding: a publication it now streams
   * through), in the hash chain, between two transactions.
   */
  public void bind(SourceBinding binding, long timeoutMillis) {
    sourceState.bind(binding, timeoutMillis);
  }

  /** The journal's random identity, as hex: what marks a database object as this journal's. */
  public String id() {
    checkOpen();
    return java.util.HexFormat.of().formatHex(view.journalId());
  }

  /**
   * The cut of the newest prune: entries committed before it are gone, except each row's last
   * version before it. Rollbacks reach back to this moment and no further.
   */
  public OptionalLong retentionCut() {
    checkOpen();
    return logReads
        .latestRetention()
        .map(r -> OptionalLong.of(r.cutMicros()))
        .orElse(OptionalLong.empty());
  }

  public JournalStatus status() {
    checkOpen();
    long last = view.watermark();
    OptionalLong first = OptionalLong.empty();
    OptionalLong lastCommit = OptionalLong.empty();
    String position = "";
    String txId = "";
    if (last > 0) {
      JournalEntry[] firstEntry = new JournalEntry[1];
      scan(
          1,
          e -> {
            firstEntry[0] = e;
            return false;
          });
      if (firstEntry[0] != null) {
        first = OptionalLong.of(firstEntry[0].event().commitMicros());
      }
      JournalEntry[] newest = new JournalEntry[1];
      scanBackward(
          last,
          e -> {
            newest[0] = e;
            return false;
          });
      if (newest[0] != null) {
        lastCommit = OptionalLong.of(newest[0].event().commitMicros());
        position = newest[0].event().position();
        txId = newest[0].event().txId();
      }
    }
    return new JournalStatus(
        changeCount(),
        first,
        lastCommit,
        position,
        txId,
        view.registry().tableCount(),
        store.diskBytes(),
        last,
        retentionCut(),
        gaps().size());
  }

  /** Flushes memtables and compacts, so that size on disk reflects the stored entries. */
  public void compact() {
    checkOpen();
    store.compact();
  }

  // ---------------------------------------------------------------- integrity, retention

  /**
   * Recomputes the hash chain and checks that every index agrees with the log. Works while capture
   * runs; checks what was committed when it started.
   */
  public VerifyReport verify(Progress progress) {
    checkOpen();
    return new Verifier(this, progress).run();
  }

  /**
   * Prunes the changes committed before {@code cutMicros}, keeping each row's last version before
   * the cut (unless that version deleted the row) so that rollbacks to any later moment stay exact.
   * The pruned range is summarized by a retention record in the chain. Runs beside a capture
   * writing the journal.
   */
  public PruneResult prune(long cutMicros, Clock clock, Progress progress) {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    return new Pruner(this, clock, progress).prune(cutMicros);
  }

  /** Reports progress of long work: a phase, done so far, and the total (or -1). */
  @FunctionalInterface
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  // ---------------------------------------------------------------- internals

  /** The chain hash of record {@code seq}; the genesis hash for 0. */
  byte[] hashAt(long seq) {
    if (seq == 0) {
      return Chain.genesis(view.journalId());
    }
    byte[] value = store.get(cf.log(), Keys.seq(seq), "read record " + seq);
    if (value == null) {
      throw new JournalException(dir, "record " + seq + " (the watermark) is missing");
    }
    return LogRecords.hash(value);
  }

  /**
   * Drops records past the watermark: a transaction that was still arriving when the last capture
   * stopped. A capture calls this before it starts, because the source redelivers that transaction
   * from its first change.
   */
  public void discardIncomplete() {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("discardIncomplete needs the writer");
    }
    // under the write lock: a system record (retention, gap) waits for exactly the state this
    // sets, the next sequence number and the hash to chain from, and must see both or neither
    writeLock.acquireUninterruptibly();
    try {
      if (openBatch != null) {
        throw new IllegalStateException("discardIncomplete needs the writer with no open batch");
      }
      truncateIncompleteTail();
      nextSeq = view.watermark() + 1;
      lastHash = hashAt(view.watermark());
      pendingChanges = 0;
      openTags.clear();
      pendingBased.clear();
    } finally {
      writeLock.release();
    }
  }

  /** Drops the records past the watermark ({@link TailTruncation}). */
  private void truncateIncompleteTail() {
    if (new TailTruncation(this).run()) {
      view.loadRegistry();
    }
  }

  private void checkOpen() {
    store.checkOpen();
  }

  Store store() {
    return store;
  }

  JournalView view() {
    return view;
  }

  LogReads logReads() {
    return logReads;
  }

  TransactionNotes notes() {
    return notes;
  }

  /** Closes column families, then the database, then options. Safe to call twice. */
  @Override
  public void close() {
    store.close();
  }
}
