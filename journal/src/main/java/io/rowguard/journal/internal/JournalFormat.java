package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The journal's format, checked as it opens: a writer stamps a new journal and upgrades an older
 * one; writer and reader refuse one from a newer rowguard. Sets what the {@link JournalView} says
 * of the chain and the journal's identity.
 */
public final class JournalFormat {
  /**
   * The journal format this version writes: 2 adds the hash chain, notes and actors; 3 adds
   * truncated and absent rows, values the journal does not know, gaps of one table and the source
   * binding. A format-2 journal is a format-3 journal without them: opening it for writing restamps
   * it, so that an older rowguard refuses it rather than misread what follows.
   */
  public static final int FORMAT = 3;

  private final Store store;
  private final Families cf;
  private final JournalView view;
  private final LogReads logReads;
  private final Path dir;

  public JournalFormat(Store store, JournalView view, LogReads logReads) {
    this.store = store;
    this.cf = store.families();
    this.view = view;
    this.logReads = logReads;
    this.dir = store.dir();
  }

  /**
   * Checks the format on the writer: stamps a new journal, upgrades one written before the hash
   * chain existed, refuses one from a newer rowguard.
   */
  public void checkOnWriter(JournalWriter writer) {
    byte[] format = store.get(cf.meta(), MetaKeys.FORMAT_KEY, "read the format");
    if (format != null) {
      int f = new BinaryReader(format).readInt();
      if (f > FORMAT) {
        throw newer(f);
      }
      view.setJournalId(store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id"));
      if (f < FORMAT) {
        stamp(null);
      }
      return;
    }
    if (logReads.isLogEmpty()) {
      byte[] id = new byte[16];
      new SecureRandom().nextBytes(id);
      stamp(id);
      view.setJournalId(id);
      return;
    }
    view.setChained(false);
    writer.dropIncompleteTail();
    new LegacyUpgrade(store).run();
    view.setChained(true);
    view.setJournalId(store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id"));
    view.loadWatermark();
  }

  /**
   * Checks the format on a reader: refuses a journal from a newer rowguard, and reads whether its
   * records are chained and its identity.
   */
  public void checkOnReader() {
    byte[] format = store.get(cf.meta(), MetaKeys.FORMAT_KEY, "read the format");
    if (format != null && new BinaryReader(format).readInt() > FORMAT) {
      throw newer(new BinaryReader(format).readInt());
    }
    view.setChained(format != null || logReads.isLogEmpty());
    byte[] id = store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id");
    view.setJournalId(id);
  }

  /** Stamps the format, with the identity of a new journal ({@code newId}, or null) if given. */
  private void stamp(byte[] newId) {
    try (WriteBatch b = new WriteBatch()) {
      if (newId != null) {
        b.put(cf.meta(), MetaKeys.JOURNAL_ID, newId);
      }
      b.put(cf.meta(), MetaKeys.FORMAT_KEY, new BinaryWriter(4).writeInt(FORMAT).toByteArray());
      cf.db().write(store.syncWrite(), b);
    } catch (RocksDBException e) {
      throw new JournalException(dir, "stamp the journal format", e);
    }
  }

  private JournalException newer(int format) {
    return new JournalException(
        dir,
        "was written by a newer rowguard (journal format "
            + format
            + ", this version reads up to "
            + FORMAT
            + "); upgrade rowguard");
  }
}
