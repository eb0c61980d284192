package io.rowguard.journal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.internal.EntryCodec;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.SchemaCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RocksDB journal of one guarded database.
 *
 * <p>One process writes ({@link #openWriter}); any number read at the same time ({@link
 * #openReader}, a RocksDB secondary instance that never blocks the writer). The writer appends in
 * {@link Batch}es: a batch's entries, their indexes and the source offsets that produced them are
 * one atomic, fsynced RocksDB write.
 *
 * <p>The journal keeps a <em>watermark</em>: the last entry that ends a complete source
 * transaction. Entries past it belong to a transaction still being received; readers do not see
 * them, and a writer that opens a journal after a crash deletes them, because the source redelivers
 * that transaction from its start (the stored offsets only ever point at transaction boundaries).
 */
public final class Journal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

  static {
    RocksDB.loadLibrary();
  }

  private static final String CF_LOG = "log";
  private static final String CF_ROWS = "rows";
  private static final String CF_TIME = "time";
  private static final String CF_TX = "tx";
  private static final String CF_SCHEMAS = "schemas";
  private static final String CF_OFFSETS = "offsets";
  private static final String CF_TX_INFO = "txinfo";
  private static final List<String> FAMILIES =
      List.of("default", CF_LOG, CF_ROWS, CF_TIME, CF_TX, CF_SCHEMAS, CF_OFFSETS, CF_TX_INFO);

  private static final byte[] WATERMARK =
      "watermark".getBytes(java.nio.charset.StandardCharsets.UTF_8);
  private static final byte SCHEMA_RECORD = 'S';
  private static final byte TABLE_RECORD = 'T';

  private enum State {
    OPEN,
    FAILED,
    CLOSED
  }

  private final Path dir;
  private final boolean writer;
  private final Path secondaryDir;
  private final DBOptions dbOptions;
  private final List<ColumnFamilyOptions> cfOptions;
  private final List<ColumnFamilyHandle> handles;
  private final RocksDB db;
  private final ColumnFamilyHandle meta;
  private final ColumnFamilyHandle log;
  private final ColumnFamilyHandle rows;
  private final ColumnFamilyHandle time;
  private final ColumnFamilyHandle tx;
  private final ColumnFamilyHandle schemas;
  private final ColumnFamilyHandle offsets;
  private final ColumnFamilyHandle txInfo;
  private final WriteOptions syncWrite;
  private final AtomicReference<State> state = new AtomicReference<>(State.OPEN);

  private final Map<TableId, Integer> tableNos = new ConcurrentHashMap<>();
  private final Map<Integer, TableSchema> schemasById = new ConcurrentHashMap<>();
  private final Map<TableSchema, Integer> schemaIds = new ConcurrentHashMap<>();
  private volatile long watermark;
  private long nextSeq;
  private Batch openBatch;

  private Journal(Path dir, boolean writer) {
    this.dir = dir;
    this.writer = writer;
    this.dbOptions =
        new DBOptions()
            .setCreateIfMissing(writer)
            .setCreateMissingColumnFamilies(writer)
            .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
            .setKeepLogFileNum(2)
            .setMaxOpenFiles(-1);
    this.cfOptions = new ArrayList<>();
    List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
    for (String name : FAMILIES) {
      ColumnFamilyOptions o = new ColumnFamilyOptions();
      if (name.equals(CF_LOG)) {
        o.setCompressionType(CompressionType.LZ4_COMPRESSION)
            .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION);
      }
      cfOptions.add(o);
      descriptors.add(
          new ColumnFamilyDescriptor(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), o));
    }
    this.handles = new ArrayList<>();
    try {
      if (writer) {
        this.secondaryDir = null;
        this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      } else {
        this.secondaryDir = Files.createTempDirectory("rowguard-reader-");
        this.db =
            RocksDB.openAsSecondary(
                dbOptions, dir.toString(), secondaryDir.toString(), descriptors, handles);
      }
    } catch (RocksDBException | IOException e) {
      closeOptions();
      String m = String.valueOf(e.getMessage());
      if (m.contains("lock") || m.contains("LOCK")) {
        throw new JournalException(
            dir, "is in use by another process (is a rowguard capture already running on it?)");
      }
      throw new JournalException(dir, writer ? "open" : "open for reading", e);
    }
    this.meta = handles.get(0);
    this.log = handles.get(1);
    this.rows = handles.get(2);
    this.time = handles.get(3);
    this.tx = handles.get(4);
    this.schemas = handles.get(5);
    this.offsets = handles.get(6);
    this.txInfo = handles.get(7);
    this.syncWrite = new WriteOptions().setSync(true);
  }

  /** Opens (creating it owner-only if missing) the journal for the one capture that writes it. */
  public static Journal openWriter(Path dir) {
    createPrivateDirectory(dir);
    Journal j = new Journal(dir, true);
    try {
      j.loadRegistry();
      j.watermark = j.readWatermark();
      j.truncateIncompleteTail();
      j.nextSeq = j.watermark + 1;
      return j;
    } catch (RuntimeException e) {
      j.close();
      throw e;
    }
  }

  /** Opens the journal for reading while a capture may be writing it. */
  public static Journal openReader(Path dir) {
    if (!Files.isRegularFile(dir.resolve("CURRENT"))) {
      throw new InputException(
          "no journal at " + dir + " yet: run `rowguard capture -c FILE` first");
    }
    Journal j = new Journal(dir, false);
    try {
      j.refresh();
      return j;
    } catch (RuntimeException e) {
      j.close();
      throw e;
    }
  }

  private static void createPrivateDirectory(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (FileAlreadyExistsException e) {
      throw new JournalException(dir, "exists and is not a directory");
    } catch (IOException | UnsupportedOperationException e) {
      throw new JournalException(dir, "create directory", e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** Catches a reader up with the writer's latest committed state. */
  public void refresh() {
    checkOpen();
    if (!writer) {
      try {
        db.tryCatchUpWithPrimary();
      } catch (RocksDBException e) {
        throw new JournalException(dir, "catch up with the writer", e);
      }
      loadRegistry();
      watermark = readWatermark();
    }
  }

  // ---------------------------------------------------------------- writing

  /** Starts a batch. One batch at a time; a batch not committed leaves no trace. */
  public Batch newBatch() {
    checkOpen();
    if (!writer) {
      throw new IllegalStateException("journal " + dir + " is open for reading only");
    }
    if (openBatch != null) {
      throw new IllegalStateException("a batch is already open on journal " + dir);
    }
    openBatch = new Batch();
    return openBatch;
  }

  /** A set of entries, index records and offsets written in one atomic, durable write. */
  public final class Batch implements AutoCloseable {
    private final WriteBatch writes = new WriteBatch();
    private final BinaryWriter buffer = new BinaryWriter(4096);
    private final long firstSeq = nextSeq;
    private final Map<ByteBuffer, Row> latestImages = new HashMap<>();
    private final Map<TableId, Integer> newTables = new LinkedHashMap<>();
    private final Map<TableSchema, Integer> newSchemas = new LinkedHashMap<>();
    private long seq = nextSeq;
    private long committedUpTo = -1;
    private boolean hasOffsets;
    private boolean done;
    private int entries;

    private Batch() {}

    /**
     * Appends a change. A value the log left out ({@link Row#UNAVAILABLE}) is filled from the
     * change's own before image, or from the row's previous version; if neither has it the append
     * fails rather than store a placeholder.
     */
    public JournalEntry append(ChangeEvent event) {
      checkUsable();
      int tableNo = tableNo(event.table());
      int schemaId = schemaId(event.schema());
      byte[] keyBytes = event.key().encode();
      ByteBuffer rowId = ByteBuffer.wrap(Keys.rowPrefix(tableNo, keyBytes));
      ChangeEvent complete = fillUnavailable(event, rowId);
      long s = seq++;
      buffer.reset();
      EntryCodec.encode(buffer, schemaId, complete);
      try {
        writes.put(log, Keys.seq(s), buffer.toByteArray());
        writes.put(rows, Keys.row(tableNo, keyBytes, s), new byte[0]);
        writes.put(time, Keys.time(tableNo, complete.commitMicros(), s), new byte[0]);
        writes.put(tx, Keys.tx(complete.txId(), s), new byte[0]);
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage entry " + s, e);
      }
      latestImages.put(rowId, complete.after());
      entries++;
      return new JournalEntry(s, complete);
    }

    private ChangeEvent fillUnavailable(ChangeEvent e, ByteBuffer rowId) {
      Row before = e.before();
      Row after = e.after();
      boolean beforeMissing = before != null && before.hasUnavailable();
      boolean afterMissing = after != null && after.hasUnavailable();
      if (!beforeMissing && !afterMissing) {
        return e;
      }
      if (beforeMissing) {
        before = fill(before, previousImage(rowId), e);
      }
      if (afterMissing) {
        after = fill(after, before != null ? before : previousImage(rowId), e);
      }
      return new ChangeEvent(
          e.schema(),
          e.op(),
          before,
          after,
          e.commitMicros(),
          e.txId(),
          e.position(),
          e.orderInTx());
    }

    private Row fill(Row target, Row source, ChangeEvent e) {
      Row filled = target;
      for (int i = 0; i < target.size(); i++) {
        if (target.get(i) != Row.UNAVAILABLE) {
          continue;
        }
        String column = target.schema().column(i).name();
        int j = source == null ? -1 : source.schema().indexOf(column);
        if (j < 0 || source.get(j) == Row.UNAVAILABLE) {
          throw new JournalException(
              dir,
              "the log left out column "
                  + column
                  + " of "
                  + e.table()
                  + " key "
                  + e.key()
                  + " (tx "
                  + e.txId()
                  + ") and the journal has no earlier version to fill it"
                  + " from; set REPLICA IDENTITY FULL on the table");
        }
        filled = filled.with(i, source.get(j));
      }
      return filled;
    }

    private Row previousImage(ByteBuffer rowId) {
      if (latestImages.containsKey(rowId)) {
        return latestImages.get(rowId);
      }
      Optional<JournalEntry> last = lastVersion(rowId.array(), Long.MAX_VALUE);
      return last.map(en -> en.event().after()).orElse(null);
    }

    private int tableNo(TableId table) {
      Integer no = tableNos.get(table);
      if (no == null) {
        no = newTables.get(table);
      }
      if (no == null) {
        no = tableNos.size() + newTables.size() + 1;
        newTables.put(table, no);
        try {
          writes.put(schemas, registryKey(TABLE_RECORD, no), tableRecord(table));
        } catch (RocksDBException e) {
          throw new JournalException(dir, "stage table " + table, e);
        }
      }
      return no;
    }

    private int schemaId(TableSchema schema) {
      Integer id = schemaIds.get(schema);
      if (id == null) {
        id = newSchemas.get(schema);
      }
      if (id == null) {
        id = schemaIds.size() + newSchemas.size() + 1;
        newSchemas.put(schema, id);
        try {
          writes.put(schemas, registryKey(SCHEMA_RECORD, id), SchemaCodec.encode(schema));
        } catch (RocksDBException e) {
          throw new JournalException(dir, "stage schema of " + schema.table(), e);
        }
      }
      return id;
    }

    /**
     * Declares that everything appended so far, in this batch and earlier ones, completes the
     * source transactions it belongs to. The watermark moves there only if this batch also stores
     * offsets: entries past the stored offsets would be delivered again after a crash.
     */
    public void markCommitted() {
      checkUsable();
      committedUpTo = seq - 1;
    }

    /**
     * Records what the application said about a transaction (a rowguard logical message in it:
     * actor, reason, or the rollback it performs), as the UTF-8 JSON the message carried.
     */
    public void putTransactionInfo(String txId, String json) {
      checkUsable();
      try {
        writes.put(
            txInfo,
            txId.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage transaction info of " + txId, e);
      }
    }

    /** Stages the source offsets to store with this batch's entries. */
    public void putOffsets(Map<ByteBuffer, ByteBuffer> values) {
      checkUsable();
      hasOffsets = true;
      try {
        for (Map.Entry<ByteBuffer, ByteBuffer> e : values.entrySet()) {
          byte[] key = bytes(e.getKey());
          if (e.getValue() == null) {
            writes.delete(offsets, key);
          } else {
            writes.put(offsets, key, bytes(e.getValue()));
          }
        }
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage offsets", e);
      }
    }

    public int entries() {
      return entries;
    }

    public boolean isDone() {
      return done;
    }

    /** Writes everything staged in one atomic, fsynced write. */
    public void commit() {
      checkUsable();
      long newWatermark = committedUpTo >= 0 && hasOffsets ? committedUpTo : watermark;
      try {
        if (newWatermark != watermark) {
          writes.put(meta, WATERMARK, Keys.seq(newWatermark));
        }
        db.write(syncWrite, writes);
      } catch (RocksDBException e) {
        state.compareAndSet(State.OPEN, State.FAILED);
        throw new JournalException(dir, "write of entries " + firstSeq + ".." + (seq - 1), e);
      }
      done = true;
      tableNos.putAll(newTables);
      newSchemas.forEach(
          (schema, id) -> {
            schemaIds.put(schema, id);
            schemasById.put(id, schema);
          });
      nextSeq = seq;
      watermark = newWatermark;
    }

    private void checkUsable() {
      checkOpen();
      if (done) {
        throw new IllegalStateException("batch already committed");
      }
    }

    /** Releases the batch; if it was not committed, nothing of it was written. */
    @Override
    public void close() {
      done = true;
      writes.close();
      openBatch = null;
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static byte[] registryKey(byte kind, int id) {
    return new BinaryWriter(5).writeByte(kind).writeInt(id).toByteArray();
  }

  private static byte[] tableRecord(TableId table) {
    return new BinaryWriter().writeString(table.schema()).writeString(table.name()).toByteArray();
  }

  // ---------------------------------------------------------------- reading

  /** Every committed version of one row, oldest first. */
  public List<JournalEntry> history(TableId table, RowKey key) {
    checkOpen();
    Integer no = tableNos.get(table);
    if (no == null) {
      return List.of();
    }
    byte[] prefix = Keys.rowPrefix(no, key.encode());
    List<JournalEntry> out = new ArrayList<>();
    long limit = watermark;
    try (ReadOptions ro = new ReadOptions().setPrefixSameAsStart(false);
        RocksIterator it = db.newIterator(rows, ro)) {
      for (it.seek(prefix); it.isValid(); it.next()) {
        byte[] k = it.key();
        if (!startsWith(k, prefix)) {
          break;
        }
        if (k.length != prefix.length + 8) {
          continue;
        }
        long s = Keys.seqAtEnd(k);
        if (s <= limit) {
          out.add(entry(s));
        }
      }
      checkIterator(it, "read history of " + table + " key " + key);
    }
    return out;
  }

  private Optional<JournalEntry> lastVersion(byte[] rowPrefix, long maxSeq) {
    try (RocksIterator it = db.newIterator(rows)) {
      byte[] end = Keys.prefixEnd(rowPrefix);
      if (end == null) {
        it.seekToLast();
      } else {
        it.seekForPrev(end);
      }
      for (; it.isValid(); it.prev()) {
        byte[] k = it.key();
        if (!startsWith(k, rowPrefix)) {
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
          return Optional.of(entry(s));
        }
      }
      checkIterator(it, "read the latest version of a row");
    }
    return Optional.empty();
  }

  /** The entry with sequence number {@code seq}. */
  public JournalEntry entry(long seq) {
    byte[] bytes;
    try {
      bytes = db.get(log, Keys.seq(seq));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "read entry " + seq, e);
    }
    if (bytes == null) {
      throw new JournalException(dir, "entry " + seq + " is indexed but missing from the log");
    }
    return new JournalEntry(seq, decode(seq, bytes));
  }

  private ChangeEvent decode(long seq, byte[] bytes) {
    try {
      return EntryCodec.decode(bytes, this::schemaById);
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
  }

  private TableSchema schemaById(int id) {
    TableSchema s = schemasById.get(id);
    if (s == null) {
      loadRegistry();
      s = schemasById.get(id);
      if (s == null) {
        throw new IllegalStateException("unknown schema " + id);
      }
    }
    return s;
  }

  /**
   * Visits committed entries in sequence order from {@code fromSeq}, until the visitor returns
   * false.
   */
  public void scan(long fromSeq, Predicate<JournalEntry> visitor) {
    checkOpen();
    long limit = watermark;
    try (RocksIterator it = db.newIterator(log)) {
      for (it.seek(Keys.seq(Math.max(1, fromSeq))); it.isValid(); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s > limit || !visitor.test(new JournalEntry(s, decode(s, it.value())))) {
          break;
        }
      }
      checkIterator(it, "scan the log");
    }
  }

  /** The changes of one transaction, in order. */
  public List<JournalEntry> transaction(String txId) {
    checkOpen();
    byte[] prefix = Keys.txPrefix(txId);
    List<JournalEntry> out = new ArrayList<>();
    long limit = watermark;
    try (RocksIterator it = db.newIterator(tx)) {
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (it.key().length == prefix.length + 8 && s <= limit) {
          out.add(entry(s));
        }
      }
      checkIterator(it, "read transaction " + txId);
    }
    return out;
  }

  /** What a rowguard logical message said about a transaction, as JSON, if anything. */
  public Optional<String> transactionInfo(String txId) {
    checkOpen();
    try {
      byte[] v = db.get(txInfo, txId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return v == null
          ? Optional.empty()
          : Optional.of(new String(v, java.nio.charset.StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new JournalException(dir, "read transaction info of " + txId, e);
    }
  }

  /**
   * Visits every row the journal has seen of a table, in key order, with the sequence numbers of
   * its committed versions, oldest first.
   */
  public void forEachRow(TableId table, java.util.function.Consumer<long[]> versions) {
    checkOpen();
    Integer no = tableNos.get(table);
    if (no == null) {
      return;
    }
    byte[] tablePrefix = Keys.tablePrefix(no);
    long limit = watermark;
    byte[] currentRow = null;
    List<Long> seqs = new ArrayList<>();
    try (RocksIterator it = db.newIterator(rows)) {
      for (it.seek(tablePrefix); it.isValid() && startsWith(it.key(), tablePrefix); it.next()) {
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
      checkIterator(it, "read the rows of " + table);
    }
    emit(seqs, versions);
  }

  private static void emit(List<Long> seqs, java.util.function.Consumer<long[]> versions) {
    if (!seqs.isEmpty()) {
      versions.accept(seqs.stream().mapToLong(Long::longValue).toArray());
      seqs.clear();
    }
  }

  /** The changes of one table committed in [fromMicros, toMicros), in commit order. */
  public List<JournalEntry> tableChanges(TableId table, long fromMicros, long toMicros) {
    checkOpen();
    Integer no = tableNos.get(table);
    if (no == null) {
      return List.of();
    }
    List<JournalEntry> out = new ArrayList<>();
    byte[] end = Keys.timePrefix(no, toMicros);
    byte[] tablePrefix = Keys.tablePrefix(no);
    long limit = watermark;
    try (RocksIterator it = db.newIterator(time)) {
      for (it.seek(Keys.timePrefix(no, fromMicros));
          it.isValid()
              && startsWith(it.key(), tablePrefix)
              && Arrays.compareUnsigned(it.key(), end) < 0;
          it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s <= limit) {
          out.add(entry(s));
        }
      }
      checkIterator(it, "read changes of " + table);
    }
    out.sort(Comparator.comparingLong(JournalEntry::seq));
    return out;
  }

  /** The tables the journal has entries for. */
  public Set<TableId> tables() {
    checkOpen();
    return new TreeSet<>(tableNos.keySet());
  }

  /** The newest schema the journal has seen for a table. */
  public Optional<TableSchema> latestSchema(TableId table) {
    checkOpen();
    return schemaIds.entrySet().stream()
        .filter(e -> e.getKey().table().equals(table))
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey);
  }

  /** The stored source offsets. */
  public Map<ByteBuffer, ByteBuffer> offsets() {
    checkOpen();
    Map<ByteBuffer, ByteBuffer> out = new HashMap<>();
    try (RocksIterator it = db.newIterator(offsets)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.put(ByteBuffer.wrap(it.key()), ByteBuffer.wrap(it.value()));
      }
      checkIterator(it, "read offsets");
    }
    return out;
  }

  /** The sequence number of the newest committed entry; 0 when empty. */
  public long lastSeq() {
    return watermark;
  }

  public JournalStatus status() {
    checkOpen();
    long last = watermark;
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
      ChangeEvent newest = entry(last).event();
      lastCommit = OptionalLong.of(newest.commitMicros());
      position = newest.position();
      txId = newest.txId();
    }
    return new JournalStatus(last, first, lastCommit, position, txId, tableNos.size(), diskBytes());
  }

  private long diskBytes() {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(
              p ->
                  p.getFileName().toString().endsWith(".sst")
                      || p.getFileName().toString().endsWith(".log"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Flushes memtables and compacts, so that size on disk reflects the stored entries. */
  public void compact() {
    checkOpen();
    try {
      for (ColumnFamilyHandle h : handles) {
        db.compactRange(h);
      }
    } catch (RocksDBException e) {
      throw new JournalException(dir, "compact", e);
    }
  }

  // ---------------------------------------------------------------- internals

  private long readWatermark() {
    try {
      byte[] v = db.get(meta, WATERMARK);
      return v == null ? 0 : new BinaryReader(v).readLong();
    } catch (RocksDBException e) {
      throw new JournalException(dir, "read watermark", e);
    }
  }

  private void loadRegistry() {
    try (RocksIterator it = db.newIterator(schemas)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        int id = new BinaryReader(k, 1, 4).readInt();
        if (k[0] == TABLE_RECORD) {
          BinaryReader r = new BinaryReader(it.value());
          tableNos.put(TableId.of(r.readString(), r.readString()), id);
        } else if (k[0] == SCHEMA_RECORD && !schemasById.containsKey(id)) {
          TableSchema s = SchemaCodec.decode(it.value());
          schemasById.put(id, s);
          schemaIds.put(s, id);
        }
      }
      checkIterator(it, "read schemas");
    }
  }

  /**
   * Drops entries past the watermark: a transaction that was still arriving when the last capture
   * stopped. A capture calls this before it starts, because the source redelivers that transaction
   * from its first change.
   */
  public void discardIncomplete() {
    checkOpen();
    if (!writer || openBatch != null) {
      throw new IllegalStateException("discardIncomplete needs the writer with no open batch");
    }
    truncateIncompleteTail();
    nextSeq = watermark + 1;
  }

  private void truncateIncompleteTail() {
    List<Long> tail = new ArrayList<>();
    try (RocksIterator it = db.newIterator(log);
        WriteBatch batch = new WriteBatch()) {
      for (it.seek(Keys.seq(watermark + 1)); it.isValid(); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        ChangeEvent e = decode(s, it.value());
        int no = tableNos.get(e.table());
        batch.delete(log, Keys.seq(s));
        batch.delete(rows, Keys.row(no, e.key().encode(), s));
        batch.delete(time, Keys.time(no, e.commitMicros(), s));
        batch.delete(tx, Keys.tx(e.txId(), s));
        tail.add(s);
      }
      checkIterator(it, "read the incomplete tail");
      if (!tail.isEmpty()) {
        db.write(syncWrite, batch);
        LOG.info(
            "Removed {} entries of a transaction that was incomplete when the last capture"
                + " stopped; the source redelivers it whole",
            tail.size());
      }
    } catch (RocksDBException e) {
      throw new JournalException(dir, "remove the incomplete tail", e);
    }
  }

  private void checkIterator(RocksIterator it, String operation) {
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new JournalException(dir, operation, e);
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private void checkOpen() {
    State s = state.get();
    if (s != State.OPEN) {
      throw new JournalException(dir, "is " + s.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Closes column families, then the database, then options. Safe to call twice. */
  @Override
  public void close() {
    if (state.getAndSet(State.CLOSED) == State.CLOSED) {
      return;
    }
    if (syncWrite != null) {
      syncWrite.close();
    }
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    if (db != null) {
      db.close();
    }
    closeOptions();
    if (secondaryDir != null) {
      deleteRecursively(secondaryDir);
    }
  }

  private void closeOptions() {
    dbOptions.close();
    cfOptions.forEach(ColumnFamilyOptions::close);
  }

  private static void deleteRecursively(Path p) {
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      LOG.debug("Could not delete {}", p, e);
    }
  }
}
