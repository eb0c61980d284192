package io.rowguard.journal;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableId;
import io.rowguard.journal.internal.Chain;
import io.rowguard.journal.internal.JournalView;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.LogReads;
import io.rowguard.journal.internal.LogRecords;
import io.rowguard.journal.internal.MetaKeys;
import io.rowguard.journal.internal.Store;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Checks a journal: the hash chain from its start (or from the newest retention record) to its
 * watermark, the records kept before the retention cut against that record's digest, the head hash,
 * and that every index holds exactly the keys its records imply.
 *
 * <p>Index consistency is checked with an order-independent sum of key hashes per index, one
 * sequential pass over each; only when a sum disagrees is the offending key looked for.
 */
final class Verifier {
  private final Journal journal;
  private final Store store;
  private final JournalView view;
  private final LogReads logReads;
  private final Journal.Progress progress;
  private final Chain chain = new Chain();
  private final Map<ColumnFamilyHandle, String> indexes = new LinkedHashMap<>();
  private final Map<ColumnFamilyHandle, KeySum> expected = new LinkedHashMap<>();
  private final List<String> remarks = new ArrayList<>();

  /** Registrations seen in the log: registry key to its sequence number and value. */
  private final Map<java.nio.ByteBuffer, Object[]> registrations = new LinkedHashMap<>();

  private Problem first;

  Verifier(Journal journal, Journal.Progress progress) {
    this.journal = journal;
    this.store = journal.store();
    this.view = journal.view();
    this.logReads = journal.logReads();
    this.progress = progress;
    indexes.put(journal.cf.rows(), "row history");
    indexes.put(journal.cf.time(), "time");
    indexes.put(journal.cf.tx(), "transaction");
    indexes.put(journal.cf.actors(), "actor");
    indexes.put(journal.cf.txinfo(), "transaction note");
    indexes.keySet().forEach(h -> expected.put(h, new KeySum()));
  }

  /** A problem found, with the sequence number it belongs to: the smallest one is reported. */
  private record Problem(long seq, String what, ChangeEvent change) {}

  VerifyReport run() {
    if (!view.isChained()) {
      throw new JournalException(
          journal.dir(),
          "has no hash chain yet: it was written by an older rowguard and is upgraded when"
              + " capture next starts on it");
    }
    long watermark = view.watermark();
    String damaged = damagedFile();
    if (damaged != null) {
      report(new Problem(0, damaged, null));
      return report(0, 0, watermark, Chain.genesis(view.journalId()));
    }
    long lastPruned = 0;
    byte[] previous = Chain.genesis(view.journalId());
    LogRecords.Retention retention;
    try {
      retention = logReads.latestRetention().orElse(null);
    } catch (JournalException e) {
      report(
          new Problem(
              store.readCounter(MetaKeys.RETENTION),
              "is the newest retention record, and cannot be read: " + e.getMessage(),
              null));
      return report(0, 0, watermark, previous);
    }
    if (retention != null) {
      lastPruned = retention.lastPrunedSeq();
      previous = retention.hashAtCut();
    }
    LogRecords.KeptDigest region = new LogRecords.KeptDigest();
    boolean finished = false; // the chain says the newest prune finished deleting
    long[] counts = new long[2]; // records, records before the cut
    long expectedSeq = lastPruned + 1;
    long lastSeen = 0;
    byte[][] chainState = {previous};
    long total = watermark;

    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.log())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        long s = Keys.seqAtEnd(it.key());
        if (s > watermark) {
          break;
        }
        byte[] value = it.value();
        lastSeen = s;
        counts[0]++;
        if (counts[0] % 100_000 == 0) {
          progress.update("verified", s, total);
        }
        byte[] record;
        try {
          record = LogRecords.record(value, true);
          LogRecords.kind(record);
        } catch (RuntimeException e) {
          report(new Problem(s, "is corrupt: " + e.getMessage(), null));
          break;
        }
        if (s <= lastPruned) {
          counts[1]++;
          region.add(s, record);
        } else {
          if (s != expectedSeq) {
            report(missing(expectedSeq, s - 1));
            break;
          }
          byte[] hash = chain.link(chainState[0], s, record);
          if (!Arrays.equals(hash, LogRecords.hash(value))) {
            report(
                new Problem(
                    s,
                    "does not match the hash chain: it was altered, or entries were reordered",
                    tryDecode(s, record)));
            break;
          }
          chainState[0] = hash;
          expectedSeq = s + 1;
          if (retention != null && LogRecords.kind(record) == LogRecords.Kind.PRUNED) {
            finished |= LogRecords.decodePruned(record).lastPrunedSeq() == lastPruned;
          }
        }
        if (!expectKeys(s, record)) {
          break;
        }
      }
      store.checkIterator(it, "read the log");
    } catch (JournalException e) {
      report(new Problem(lastSeen + 1, "cannot be read: " + e.getMessage(), null));
    }

    if (first == null && watermark > lastPruned && lastSeen < watermark) {
      report(missing(Math.max(lastSeen, lastPruned) + 1, watermark));
    }
    long kept = 0;
    if (first == null && retention != null) {
      LogRecords.KeptDigest digest = region;
      if (!finished) {
        // a prune is still deleting: check the records that stay, as the prune decides them
        remarks.add(
            "a prune is still removing entries committed before "
                + io.rowguard.core.ValueFormat.instant(retention.cutMicros())
                + "; those it removes next were not checked");
        digest = staying(lastPruned);
      }
      kept = digest.count();
      if (digest.count() != retention.keptCount()
          || !Arrays.equals(digest.digest(), retention.keptDigest())) {
        report(
            new Problem(
                0,
                "the "
                    + digest.count()
                    + " entries kept from before the retention cut of "
                    + io.rowguard.core.ValueFormat.instant(retention.cutMicros())
                    + " do not match what the retention record says ("
                    + retention.keptCount()
                    + " entries): one was altered, removed or added",
                null));
      }
    }
    if (first == null && watermark > 0) {
      byte[] head = store.get(journal.cf.meta(), MetaKeys.HEAD, "read the head");
      if (head == null || !Arrays.equals(head, chainState[0])) {
        report(
            new Problem(
                watermark,
                "is not the journal's recorded head: the newest entries were altered or"
                    + " removed",
                null));
      }
    }
    if (first == null || first.seq() == 0) {
      checkIndexes(watermark);
    }
    if (first == null || first.seq() == 0) {
      checkRegistry();
    }
    progress.update("verified", watermark, total);
    return report(counts[0], kept, watermark, chainState[0]);
  }

  /**
   * Reads every block of every table file against its checksum, on its own: a reader instance skips
   * a table file whose metadata is damaged as if it were not there, so reading the records alone
   * would show them missing without naming the file.
   */
  private String damagedFile() {
    java.util.List<java.nio.file.Path> files;
    try (java.util.stream.Stream<java.nio.file.Path> list =
        java.nio.file.Files.list(journal.dir())) {
      // the directory, not the instance's list of live files: that one leaves the damaged out
      files = list.filter(p -> p.getFileName().toString().endsWith(".sst")).sorted().toList();
    } catch (java.io.IOException e) {
      throw new JournalException(journal.dir(), "list the journal's files", e);
    }
    for (java.nio.file.Path file : files) {
      try (org.rocksdb.Options o = new org.rocksdb.Options();
          org.rocksdb.SstFileReader reader = new org.rocksdb.SstFileReader(o)) {
        reader.open(file.toString());
        reader.verifyChecksum();
      } catch (org.rocksdb.RocksDBException e) {
        if (!java.nio.file.Files.exists(file)) {
          continue; // compacted away by the writer meanwhile
        }
        return "journal file "
            + file
            + " is corrupt ("
            + e.getMessage()
            + "); restore a backup (`rowguard restore`)";
      }
    }
    return null;
  }

  private VerifyReport report(long records, long kept, long headSeq, byte[] head) {
    return new VerifyReport(
        records,
        journal.changeCount(),
        kept,
        headSeq,
        Chain.hex(head),
        Optional.ofNullable(first).map(this::toProblem),
        remarks);
  }

  /** The digest of the records before the cut that a prune up to {@code end} keeps. */
  private LogRecords.KeptDigest staying(long end) {
    LogRecords.KeptDigest d = new LogRecords.KeptDigest();
    logReads.forEachRecord(
        1,
        end,
        (seq, value) -> {
          byte[] record = LogRecords.record(value, true);
          if (Pruner.stays(journal, seq, record, end)) {
            d.add(seq, record);
          }
          return true;
        });
    return d;
  }

  /** The table and schema registry holds exactly what the registrations in the log say. */
  private void checkRegistry() {
    Map<java.nio.ByteBuffer, byte[]> actual = new LinkedHashMap<>();
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.schemas())) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        actual.put(java.nio.ByteBuffer.wrap(it.key()), it.value());
      }
      store.checkIterator(it, "read the schema registry");
    }
    for (Map.Entry<java.nio.ByteBuffer, Object[]> e : registrations.entrySet()) {
      byte[] stored = actual.remove(e.getKey());
      long seq = (Long) e.getValue()[0];
      if (stored == null) {
        report(new Problem(seq, "registers a table or schema the registry no longer has", null));
        return;
      }
      if (!Arrays.equals(stored, (byte[]) e.getValue()[1])) {
        report(
            new Problem(
                seq,
                "registers a table or schema that the registry holds differently: the registry"
                    + " was altered",
                null));
        return;
      }
    }
    if (!actual.isEmpty()) {
      report(
          new Problem(
              0,
              "the schema registry has "
                  + actual.size()
                  + " entries no registration in the journal accounts for: they were added"
                  + " behind its back",
              null));
    }
  }

  /** Keeps the first problem; one tied to an entry beats one that is not (sequence 0). */
  private void report(Problem p) {
    if (first == null || (p.seq() > 0 && (first.seq() == 0 || p.seq() < first.seq()))) {
      first = p;
    }
  }

  private VerifyReport.Problem toProblem(Problem p) {
    ChangeEvent c = p.change();
    return new VerifyReport.Problem(
        p.seq(),
        c == null ? indexedTable(p.seq()) : Optional.of(c.table()),
        c == null ? siblingKey(p.seq()) : Optional.of(c.key().toString()),
        c == null ? indexedTime(p.seq()) : OptionalLong.of(c.commitMicros()),
        p.what());
  }

  private Problem missing(long from, long to) {
    String what =
        from == to
            ? "is missing from the log"
            : "is missing from the log, and so are the entries after it up to " + to;
    return new Problem(from, what, null);
  }

  private ChangeEvent tryDecode(long seq, byte[] record) {
    try {
      return LogRecords.kind(record) == LogRecords.Kind.CHANGE ? view.decode(seq, record) : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Adds the index keys a record implies to the expected sums; false on an undecodable record. */
  private boolean expectKeys(long seq, byte[] record) {
    try {
      LogRecords.Kind kind = LogRecords.kind(record);
      if (kind == LogRecords.Kind.TABLE || kind == LogRecords.Kind.SCHEMA) {
        LogRecords.Registration r = LogRecords.decodeRegistration(record);
        registrations.put(java.nio.ByteBuffer.wrap(r.key()), new Object[] {seq, r.value()});
      }
      for (Map.Entry<ColumnFamilyHandle, List<byte[]>> e : keysOf(seq, record).entrySet()) {
        KeySum sum = expected.get(e.getKey());
        e.getValue().forEach(sum::add);
      }
      return true;
    } catch (RuntimeException e) {
      report(new Problem(seq, "cannot be decoded: " + e.getMessage(), null));
      return false;
    }
  }

  private Map<ColumnFamilyHandle, List<byte[]>> keysOf(long seq, byte[] record) {
    Map<ColumnFamilyHandle, List<byte[]>> keys = new LinkedHashMap<>();
    try {
      switch (LogRecords.kind(record)) {
        case CHANGE -> {
          ChangeEvent e = view.decode(seq, record);
          Integer tableNo = view.registry().tableNo(e.table());
          if (tableNo == null) {
            throw new IllegalStateException("its table " + e.table() + " is not registered");
          }
          String actor = Attribution.of(journal.tag(e.txId()).orElse(null), e).actor();
          journal.cf.changeKeys(
              tableNo,
              e.key().encode(),
              seq,
              e.commitMicros(),
              e.txId(),
              actor,
              (family, key) -> keys.computeIfAbsent(family, f -> new ArrayList<>()).add(key));
        }
        case NOTE ->
            journal.cf.noteKeys(
                LogRecords.decodeNote(record),
                seq,
                (family, key) -> keys.computeIfAbsent(family, f -> new ArrayList<>()).add(key));
        default -> {}
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException(e);
    }
    return keys;
  }

  private void checkIndexes(long watermark) {
    for (Map.Entry<ColumnFamilyHandle, String> index : indexes.entrySet()) {
      KeySum actual = new KeySum();
      try (RocksIterator it = journal.cf.db().newIterator(index.getKey())) {
        for (it.seekToFirst(); it.isValid(); it.next()) {
          if (Keys.seqAtEnd(it.key()) <= watermark) {
            actual.add(it.key());
          }
        }
        store.checkIterator(it, "read the " + index.getValue() + " index");
      }
      if (!actual.equals(expected.get(index.getKey()))) {
        Problem before = first;
        locate(index.getKey(), index.getValue(), watermark);
        if (first == before) {
          report(new Problem(0, "the " + index.getValue() + " index does not match the log", null));
        }
        return;
      }
    }
  }

  /** Finds the first key an index lacks or has in excess. */
  private void locate(ColumnFamilyHandle index, String name, long watermark) {
    logReads.forEachRecord(
        1,
        watermark,
        (seq, value) -> {
          byte[] record = LogRecords.record(value, true);
          for (byte[] key : keysOf(seq, record).getOrDefault(index, List.of())) {
            if (store.get(index, key, "read the " + name + " index") == null) {
              report(
                  new Problem(
                      seq, "is missing from the " + name + " index", tryDecode(seq, record)));
              return false;
            }
          }
          return true;
        });
    try (RocksIterator it = journal.cf.db().newIterator(index)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        long seq = Keys.seqAtEnd(it.key());
        if (seq > watermark || (first != null && first.seq() > 0 && seq >= first.seq())) {
          continue;
        }
        byte[] value = store.get(journal.cf.log(), Keys.seq(seq), "read entry " + seq);
        if (value == null) {
          report(
              new Problem(
                  seq, "is named by the " + name + " index but is missing from the log", null));
          continue;
        }
        byte[] record = LogRecords.record(value, true);
        boolean known =
            keysOf(seq, record).getOrDefault(index, List.of()).stream()
                .anyMatch(k -> Arrays.equals(k, it.key()));
        if (!known) {
          report(
              new Problem(
                  seq,
                  "has an entry in the " + name + " index that does not match it",
                  tryDecode(seq, record)));
        }
      }
      store.checkIterator(it, "read the " + name + " index");
    }
  }

  // ------------------------------------------------- naming an entry that is gone

  private Optional<TableId> indexedTable(long seq) {
    byte[] key = findIndexed(journal.cf.rows(), seq);
    if (key == null) {
      key = findIndexed(journal.cf.time(), seq);
    }
    if (key == null) {
      return Optional.empty();
    }
    int tableNo = new io.rowguard.core.BinaryReader(key, 0, 4).readInt();
    return journal.tables().stream()
        .filter(t -> Integer.valueOf(tableNo).equals(view.registry().tableNo(t)))
        .findFirst();
  }

  private OptionalLong indexedTime(long seq) {
    byte[] key = findIndexed(journal.cf.time(), seq);
    if (key == null) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(
        new io.rowguard.core.BinaryReader(key, 4, 8).readLong() ^ Long.MIN_VALUE);
  }

  /** The key of the row whose version {@code seq} was, read from another version of it. */
  private Optional<String> siblingKey(long seq) {
    byte[] key = findIndexed(journal.cf.rows(), seq);
    if (key == null) {
      return Optional.empty();
    }
    byte[] rowPrefix = Arrays.copyOf(key, key.length - 8);
    try (RocksIterator it = journal.cf.db().newIterator(journal.cf.rows())) {
      for (it.seek(rowPrefix); it.isValid() && Keys.startsWith(it.key(), rowPrefix); it.next()) {
        long other = Keys.seqAtEnd(it.key());
        if (other == seq || it.key().length != key.length) {
          continue;
        }
        byte[] value = store.get(journal.cf.log(), Keys.seq(other), "read entry " + other);
        if (value != null) {
          ChangeEvent c = tryDecode(other, LogRecords.record(value, true));
          if (c != null) {
            return Optional.of(c.key().toString());
          }
        }
      }
    }
    return Optional.empty();
  }

  private byte[] findIndexed(ColumnFamilyHandle index, long seq) {
    try (RocksIterator it = journal.cf.db().newIterator(index)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        if (Keys.seqAtEnd(it.key()) == seq) {
          return it.key();
        }
      }
    }
    return null;
  }

  /** An order-independent 128-bit sum of key hashes: equal sums, equal key sets (almost surely). */
  private static final class KeySum {
    private long a;
    private long b;
    private long n;

    void add(byte[] key) {
      a += mix(fnv(key, 0xcbf29ce484222325L));
      b += mix(fnv(key, 0x9ae16a3b2f90404fL));
      n++;
    }

    private static long fnv(byte[] key, long h) {
      for (byte x : key) {
        h ^= x & 0xFF;
        h *= 0x100000001b3L;
      }
      return h;
    }

    private static long mix(long h) {
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      h *= 0xc4ceb9fe1a85ec53L;
      h ^= h >>> 33;
      return h;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof KeySum k && k.a == a && k.b == b && k.n == n;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(a ^ b ^ n);
    }
  }
}
