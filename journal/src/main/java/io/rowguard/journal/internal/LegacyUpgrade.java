package io.rowguard.journal.internal;

import io.rowguard.core.TransactionTag;
import io.rowguard.journal.JournalException;
import io.rowguard.journal.TransactionTags;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upgrades a journal written before the hash chain (format 1) in place: every record gets its chain
 * hash, the rowguard messages kept beside the log become notes in it, and the format is stamped
 * last. Resumable: the records already chained are remembered with each chunk.
 */
final class LegacyUpgrade {
  private static final Logger LOG = LoggerFactory.getLogger(LegacyUpgrade.class);
  private static final int CHUNK = 10_000;

  private final Store store;
  private final Families cf;

  LegacyUpgrade(Store store) {
    this.store = store;
    this.cf = store.families();
  }

  void run() {
    long watermark = store.readCounter(MetaKeys.WATERMARK);
    byte[] id = store.get(cf.meta(), MetaKeys.JOURNAL_ID, "read the journal id");
    try {
      if (id == null) {
        id = new byte[16];
        new SecureRandom().nextBytes(id);
        cf.db().put(cf.meta(), store.syncWrite(), MetaKeys.JOURNAL_ID, id);
      }
      long done = store.readCounter(MetaKeys.MIGRATED);
      LOG.info(
          "Upgrading journal {} to format {}: chaining {} entries",
          store.dir(),
          JournalFormat.FORMAT,
          watermark - done);
      Chain chain = new Chain();
      byte[] hash = done == 0 ? Chain.genesis(id) : hashOf(done);
      long changes = done;
      try (RocksIterator it = cf.db().newIterator(cf.log())) {
        WriteBatch batch = new WriteBatch();
        long last = done;
        for (it.seek(Keys.seq(done + 1)); it.isValid(); it.next()) {
          long s = Keys.seqAtEnd(it.key());
          if (s > watermark) {
            break;
          }
          byte[] record = it.value();
          hash = chain.link(hash, s, record);
          batch.put(cf.log(), Keys.seq(s), LogRecords.value(record, hash));
          last = s;
          changes++;
          if (batch.count() >= CHUNK) {
            batch.put(cf.meta(), MetaKeys.MIGRATED, Keys.seq(last));
            cf.db().write(store.syncWrite(), batch);
            batch.close();
            batch = new WriteBatch();
          }
        }
        store.checkIterator(it, "read the log");
        long next = watermark + 1;
        for (byte[][] entry : registry()) {
          byte[] registration =
              entry[0][0] == Registry.TABLE_RECORD
                  ? LogRecords.table(entry[0], entry[1])
                  : LogRecords.schema(entry[0], entry[1]);
          hash = chain.link(hash, next, registration);
          batch.put(cf.log(), Keys.seq(next), LogRecords.value(registration, hash));
          next++;
        }
        for (Object[] old : oldMessages()) {
          String txId = (String) old[0];
          TransactionTag tag = TransactionTags.parse((String) old[1]);
          byte[] note = LogRecords.note(txId, tag);
          hash = chain.link(hash, next, note);
          batch.put(cf.log(), Keys.seq(next), LogRecords.value(note, hash));
          batch.delete(cf.txinfo(), (byte[]) old[2]);
          WriteBatch notes = batch;
          cf.noteKeys(
              new LogRecords.Note(txId, tag),
              next,
              (family, key) -> notes.put(family, key, new byte[0]));
          if (tag.actor() != null) {
            for (long seq : changesOf(txId)) {
              batch.put(cf.actors(), Keys.actor(tag.actor(), seq), new byte[0]);
            }
          }
          next++;
        }
        batch.put(cf.meta(), MetaKeys.WATERMARK, Keys.seq(next - 1));
        batch.put(cf.meta(), MetaKeys.HEAD, hash);
        batch.put(cf.meta(), MetaKeys.APPENDED, Keys.seq(changes));
        batch.put(
            cf.meta(),
            MetaKeys.FORMAT_KEY,
            new io.rowguard.core.BinaryWriter(4).writeInt(JournalFormat.FORMAT).toByteArray());
        batch.delete(cf.meta(), MetaKeys.MIGRATED);
        cf.db().write(store.syncWrite(), batch);
        batch.close();
      }
    } catch (RocksDBException e) {
      throw new JournalException(store.dir(), "upgrade to format " + JournalFormat.FORMAT, e);
    }
  }

  private byte[] hashOf(long seq) {
    byte[] v = store.get(cf.log(), Keys.seq(seq), "read entry " + seq);
    return LogRecords.hash(v);
  }

  /** The table and schema registry: key, value; tables first, as they were registered. */
  private List<byte[][]> registry() {
    List<byte[][]> out = new ArrayList<>();
    try (RocksIterator it = cf.db().newIterator(cf.schemas())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.add(new byte[][] {it.key(), it.value()});
      }
      store.checkIterator(it, "read the schema registry");
    }
    out.sort(
        java.util.Comparator.comparing((byte[][] e) -> e[0][0] == Registry.TABLE_RECORD ? 0 : 1));
    return out;
  }

  /** Format 1 kept each rowguard message under its bare transaction id: id, json, key. */
  private List<Object[]> oldMessages() {
    List<Object[]> out = new ArrayList<>();
    try (RocksIterator it = cf.db().newIterator(cf.txinfo())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] k = it.key();
        boolean newForm = k.length >= 9 && k[k.length - 9] == 0 && it.value().length == 0;
        if (!newForm) {
          out.add(
              new Object[] {
                new String(k, java.nio.charset.StandardCharsets.UTF_8),
                new String(it.value(), java.nio.charset.StandardCharsets.UTF_8),
                k
              });
        }
      }
      store.checkIterator(it, "read transaction messages");
    }
    return out;
  }

  private List<Long> changesOf(String txId) {
    List<Long> out = new ArrayList<>();
    byte[] prefix = Keys.txPrefix(txId);
    try (RocksIterator it = cf.db().newIterator(cf.tx())) {
      for (it.seek(prefix); it.isValid() && Keys.startsWith(it.key(), prefix); it.next()) {
        if (it.key().length == prefix.length + 8) {
          out.add(Keys.seqAtEnd(it.key()));
        }
      }
      store.checkIterator(it, "read transaction " + txId);
    }
    return out;
  }
}
