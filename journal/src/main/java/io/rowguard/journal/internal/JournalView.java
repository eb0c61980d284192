package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import org.rocksdb.RocksIterator;

/**
 * What an open journal shows of itself to each of its parts: the watermark up to which records are
 * visible, the registry their schema ids decode through, whether they carry chain hashes (a journal
 * written before the chain does not, until it is upgraded), and the journal's identity. A reader's
 * refresh and the writer's commits move these on; everything else only reads them.
 */
public final class JournalView {
  private final Store store;
  private final Families cf;
  private final Path dir;

  /** Table numbers and schemas: replaced whole, never changed in place. */
  private volatile Registry registry = Registry.EMPTY;

  private volatile long watermark;
  private volatile boolean chained = true;
  private byte[] journalId;

  public JournalView(Store store) {
    this.store = store;
    this.cf = store.families();
    this.dir = store.dir();
  }

  /** The newest record that ends a complete source transaction: what readers see up to. */
  public long watermark() {
    return watermark;
  }

  public Registry registry() {
    return registry;
  }

  public boolean isChained() {
    return chained;
  }

  void setChained(boolean chained) {
    this.chained = chained;
  }

  public byte[] journalId() {
    return journalId;
  }

  void setJournalId(byte[] journalId) {
    this.journalId = journalId;
  }

  /** Moves the watermark to {@code seq}, which the caller has just committed. */
  void moveWatermark(long seq) {
    watermark = seq;
  }

  /** Publishes the registry with a committed batch's registrations. */
  void publish(Registry withNew) {
    registry = withNew;
  }

  /** Reads the registry and the watermark as stored. */
  public void reload() {
    loadRegistry();
    loadWatermark();
  }

  void loadWatermark() {
    watermark = readWatermark();
  }

  private long readWatermark() {
    byte[] v = store.get(cf.meta(), MetaKeys.WATERMARK, "read watermark");
    return v == null ? 0 : new BinaryReader(v).readLong();
  }

  /** Reads the registry as stored and publishes it whole. */
  void loadRegistry() {
    registry =
        Registry.load(
            visitor -> {
              try (RocksIterator it = cf.db().newIterator(cf.schemas())) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                  visitor.visit(it.key(), it.value());
                }
                store.checkIterator(it, "read schemas");
              }
            },
            registry);
  }

  /** The record in a stored value: without the chain hash that follows it. */
  public byte[] record(long seq, byte[] value) {
    try {
      return LogRecords.record(value, chained);
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
  }

  public ChangeEvent decode(long seq, byte[] record) {
    try {
      return EntryCodec.decode(record, this::schemaById);
    } catch (RuntimeException e) {
      throw new JournalException(dir, "entry " + seq + " is corrupt: " + e.getMessage());
    }
  }

  TableSchema schemaById(int id) {
    TableSchema s = registry.schema(id);
    if (s == null) {
      loadRegistry();
      s = registry.schema(id);
      if (s == null) {
        throw new IllegalStateException("unknown schema " + id);
      }
    }
    return s;
  }
}
