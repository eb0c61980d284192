package io.rowguard.journal;

import io.rowguard.core.Attribution;
import io.rowguard.core.BinaryReader;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.Undo;
import io.rowguard.journal.internal.BatchWrite;
import io.rowguard.journal.internal.Chain;
import io.rowguard.journal.internal.Families;
import io.rowguard.journal.internal.IndexReads;
import io.rowguard.journal.internal.JournalFormat;
import io.rowguard.journal.internal.JournalView;
import io.rowguard.journal.internal.JournalWriter;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.LogCursor;
import io.rowguard.journal.internal.LogReads;
import io.rowguard.journal.internal.LogRecords;
import io.rowguard.journal.internal.MetaKeys;
import io.rowguard.journal.internal.RocksNative;
import io.rowguard.journal.internal.SourceOffsets;
import io.rowguard.journal.internal.Store;
import io.rowguard.journal.internal.TableReads;
import io.rowguard.journal.internal.TransactionNotes;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

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

  private final Store store;
  private final Path dir;
  final Families cf;
  private final JournalView view;
  private final LogReads logReads;
  private final IndexReads indexReads;
  private final TableReads tableReads;
  private final TransactionNotes notes;
  private final SourceOffsets sourceOffsets;

  /** The writing side; null for a reader. */
  private final JournalWriter writer;

  /** Gaps, the binding, base versions: the journal's records about its source. */
  private final SourceState sourceState;

  private Journal(Store store) {
    this.store = store;
    this.dir = store.dir();
    this.cf = store.families();
    this.view = new JournalView(store);
    this.logReads = new LogReads(store, view);
    this.indexReads = new IndexReads(store, view, logReads);
    this.tableReads = new TableReads(store, view, logReads);
    this.notes = new TransactionNotes(store, view, indexReads);
    this.sourceOffsets = new SourceOffsets(store);
    this.writer =
        store.isWriter()
            ? new JournalWriter(store, view, logReads, indexReads, notes, sourceOffsets)
            : null;
    this.sourceState = new SourceState(this);
  }

  /** Opens (creating it owner-only if missing) the journal for the one capture that writes it. */
  public static Journal openWriter(Path dir) {
    JournalBackups.finishInterruptedRestore(dir);
    JournalDirectory.prepareForWriting(dir);
    Journal j = new Journal(Store.openWriter(dir, JournalException::new));
    try {
      j.view.reload();
      new JournalFormat(j.store, j.view, j.logReads).checkOnWriter(j.writer);
      j.writer.dropIncompleteTail();
      j.writer.resume();
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

  /** The version of the RocksDB library journals are stored with (loads it). */
  public static String rocksDbVersion() {
    RocksDB.loadLibrary();
    return RocksDB.rocksdbVersion().toString();
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
    if (writer == null) {
      store.catchUpWithPrimary();
      view.reload();
      new JournalFormat(store, view, logReads).checkOnReader();
      notes.clear();
    }
  }

  // ---------------------------------------------------------------- writing

  /**
   * Starts a batch. One batch at a time; a batch not committed leaves no trace. Waits while a
   * journal record of its own (retention, gap) is being written.
   */
  public Batch newBatch() {
    return new Batch(writer().begin());
  }

  /** For tests: how many entries a part of a batch holds ({@link BatchWrite#PART_ENTRIES}). */
  static final int PART_ENTRIES = BatchWrite.PART_ENTRIES;

  /**
   * A set of entries, index records and offsets that becomes durable and visible at once. Parts of
   * a large batch are written ahead, unsynced and past the watermark, which readers and a reopened
   * journal ignore; the last part, with the offsets and the watermark, is written and fsynced by
   * {@link #commit()}.
   */
  public final class Batch implements AutoCloseable {
    private final BatchWrite write;

    private Batch(BatchWrite write) {
      this.write = write;
    }

    /**
     * Appends a change. A value the log left out ({@link Row#UNAVAILABLE}) is filled from the
     * change's own before image, or from the row's previous version; if neither has it the append
     * fails rather than store a placeholder.
     */
    public JournalEntry append(ChangeEvent event) {
      return write.append(event);
    }

    /**
     * Journals a {@code TRUNCATE} of {@code table}: a {@link Op#TRUNCATE} change for every row the
     * journal has there (its newest version, this transaction's included, unless that removed the
     * row), the row's last image as its before image, in key order from {@code firstOrder} within
     * the transaction. Returns the changes appended.
     */
    public List<JournalEntry> truncate(
        TableId table, long commitMicros, String txId, String position, int firstOrder) {
      return write.truncate(table, commitMicros, txId, position, firstOrder);
    }

    /**
     * Ends a snapshot of {@code table} taken after a gap: each row the journal has there whose
     * newest version came before the snapshot ({@code snapshotFirstSeq}) was not read by it, so it
     * was removed inside the gap. Journals an {@link Op#ABSENT} change for each; returns how many.
     */
    public int removeUnread(
        TableId table, long snapshotFirstSeq, long micros, String txId, String position) {
      return write.removeUnread(table, snapshotFirstSeq, micros, txId, position);
    }

    /**
     * The row's newest image as the journal has it now (this batch and the open transaction
     * included): empty when the journal knows no version of it, or its newest version removed it.
     */
    public Optional<Row> latestImage(TableId table, RowKey key) {
      return write.latestImage(table, key);
    }

    /** The journal this batch writes. */
    public Journal journal() {
      return Journal.this;
    }

    /** The sequence number the next record of this batch gets. */
    public long nextSeq() {
      return write.nextSeq();
    }

    /**
     * Values this batch stored as unknown: the log left them out and no earlier version had them.
     */
    public long unknownValues() {
      return write.unknownValues();
    }

    /**
     * Records what a rowguard message said about a transaction. The first message of a transaction
     * that names an actor attributes every change of it, before and after the message.
     */
    public void tag(String txId, TransactionTag tag) {
      write.tag(txId, tag);
    }

    /**
     * Declares that everything appended so far, in this batch and earlier ones, completes the
     * source transactions it belongs to. The watermark moves there only if this batch also stores
     * offsets: entries past the stored offsets would be delivered again after a crash.
     */
    public void markCommitted() {
      write.markCommitted();
    }

    /** Stages the source offsets to store with this batch's entries. */
    public void putOffsets(Map<ByteBuffer, ByteBuffer> values) {
      write.putOffsets(values);
    }

    /**
     * Stages records of the source's schema history (Debezium's, for sources that need one) to
     * store with this batch's offsets, after those stored already. They are source state like the
     * offsets: a journal that forgets its offsets forgets them in the same write.
     */
    public void putSchemaHistory(List<byte[]> records) {
      write.putSchemaHistory(records);
    }

    /**
     * Records a gap found while changes arrive (a table that stopped sending full before images):
     * it becomes visible, and durable, with the batch.
     */
    public Gap recordGap(Gap gap) {
      return gap.at(write.writeGap(gap, 0));
    }

    /** Ends an open gap at {@code micros} and {@code position}, with the batch. */
    public Gap closeGap(Gap open, long micros, String position) {
      Gap closed = open.closedAt(micros, position);
      return closed.at(write.writeGap(closed, open.seq()));
    }

    /**
     * Records that {@code table}'s rows have base versions in the journal from {@code micros} on (a
     * snapshot of it was journaled), with the batch: a table without one is snapshotted when
     * capture finds it.
     */
    public void markBased(TableId table, long micros) {
      write.markBased(table, micros);
    }

    /** Records (changes and notes) appended to this batch. */
    public int entries() {
      return write.entries();
    }

    /** Changes appended to this batch. */
    public int changes() {
      return write.changes();
    }

    public boolean isDone() {
      return write.isDone();
    }

    /** Writes everything staged in one atomic, fsynced write. */
    public void commit() {
      write.commit();
    }

    /**
     * Releases the batch. If it was not committed, nothing of it is visible; if parts of it were
     * written ahead, the journal stops until it is reopened, which drops them.
     */
    @Override
    public void close() {
      write.close();
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
    return writer != null ? writer.appended() : store.readCounter(MetaKeys.APPENDED);
  }

  /** The number of committed changes the journal holds. */
  public long changeCount() {
    checkOpen();
    long committed = writer != null ? writer.appended() : store.readCounter(MetaKeys.APPENDED);
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
   * writing the journal. Changes a consumer ({@link ConsumerPositions}, the Kafka mirror) has not
   * yet read are kept, whatever the cut.
   */
  public PruneResult prune(long cutMicros, Clock clock, Progress progress) {
    writer();
    return new Pruner(this, clock, progress).prune(Math.min(cutMicros, unconsumedMicros()));
  }

  /**
   * The commit time of the first change a consumer has not read ({@link ConsumerPositions}): a
   * prune's cut goes no later. {@code Long.MAX_VALUE} when every consumer is caught up, or none is
   * registered.
   */
  public long unconsumedMicros() {
    java.util.OptionalLong oldest = ConsumerPositions.oldest(dir());
    if (oldest.isEmpty()) {
      return Long.MAX_VALUE;
    }
    long[] micros = {Long.MAX_VALUE};
    scan(
        oldest.getAsLong() + 1,
        e -> {
          micros[0] = e.event().commitMicros();
          return false;
        });
    return micros[0];
  }

  /** Reports progress of long work: a phase, done so far, and the total (or -1). */
  @FunctionalInterface
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  // ---------------------------------------------------------------- internals

  /**
   * Drops records past the watermark: a transaction that was still arriving when the last capture
   * stopped. A capture calls this before it starts, because the source redelivers that transaction
   * from its first change.
   */
  public void discardIncomplete() {
    checkOpen();
    if (writer == null) {
      throw new IllegalStateException("discardIncomplete needs the writer");
    }
    writer.discardIncomplete();
  }

  private void checkOpen() {
    store.checkOpen();
  }

  Store store() {
    return store;
  }

  /** The writing side, for the journal's own records: refused on a reader. */
  JournalWriter writer() {
    checkOpen();
    if (writer == null) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    return writer;
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
