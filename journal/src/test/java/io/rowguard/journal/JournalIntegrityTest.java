package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.SCHEMA;
import static io.rowguard.journal.JournalTest.offsets;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionTag;
import io.rowguard.journal.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invariant 6: any record altered, removed or moved behind the journal's back is found. */
class JournalIntegrityTest {
  @TempDir Path dir;

  /**
   * Transactions of one to three changes, every third one tagged; returns the number of records
   * (registrations included).
   */
  static int fill(Journal j, int transactions, Random random) {
    int seqs = 0;
    int id = 0;
    for (int t = 0; t < transactions; t++) {
      String tx = Integer.toString(100 + t);
      try (Journal.Batch b = j.newBatch()) {
        if (t % 3 == 0) {
          b.tag(tx, new TransactionTag("alice", "test", null, null, "{\"actor\":\"alice\"}"));
          seqs++;
        }
        int n = 1 + random.nextInt(3);
        for (int i = 0; i < n; i++) {
          id++;
          b.append(
              new ChangeEvent(
                  SCHEMA,
                  Op.INSERT,
                  null,
                  Row.of(SCHEMA, id, "paid", "note " + id),
                  1_000_000L * (t + 1),
                  tx,
                  "0/" + id,
                  i));
          seqs++;
        }
        b.markCommitted();
        b.putOffsets(offsets("o" + t));
        b.commit();
      }
    }
    return (int) j.lastSeq();
  }

  /** The first change at or after {@code seq}. */
  static long changeAtOrAfter(Path dir, long seq) {
    try (Journal r = Journal.openReader(dir)) {
      long[] found = {0};
      r.scan(seq, e -> (found[0] = e.seq()) == 0);
      return found[0];
    }
  }

  static VerifyReport verify(Path dir) {
    try (Journal r = Journal.openReader(dir)) {
      return r.verify(Journal.Progress.NONE);
    }
  }

  @Test
  void anIntactJournalVerifiesAndNamesItsHead() {
    int records;
    try (Journal j = Journal.openWriter(dir)) {
      records = fill(j, 12, new Random(1));
      VerifyReport own = j.verify(Journal.Progress.NONE);
      assertThat(own.ok()).as("%s", own.problem()).isTrue();
    }
    VerifyReport r = verify(dir);
    assertThat(r.ok()).as("%s", r.problem()).isTrue();
    assertThat(r.records()).isEqualTo(records);
    assertThat(r.headSeq()).isEqualTo(records);
    assertThat(r.headHash()).hasSize(64);
    assertThat(r.changes()).isEqualTo(records - 4 - 2); // four notes, a table and a schema
  }

  @Test
  void anAlteredEntryIsFoundAndNamedWithItsTableKeyAndTime() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 12, new Random(2));
    }
    long seq = changeAtOrAfter(dir, 7);
    try (RawJournal raw = new RawJournal(dir)) {
      byte[] v = raw.entry(seq);
      int at = indexOf(v, "paid".getBytes(StandardCharsets.UTF_8));
      v[at] = 'P'; // "Paid": decodes fine, but is not what was journaled
      raw.putEntry(seq, v);
    }
    VerifyReport r = verify(dir);
    assertThat(r.ok()).isFalse();
    VerifyReport.Problem p = r.problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(seq);
    assertThat(p.table()).contains(ORDERS);
    assertThat(p.key()).isPresent();
    assertThat(p.commitMicros()).isPresent();
    assertThat(p.describe())
        .startsWith("entry " + seq + " (public.orders key ")
        .contains("hash chain");
  }

  @Test
  void aDeletedEntryIsFoundAndNamedFromWhatStillPointsAtIt() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 12, new Random(3));
    }
    long seq = changeAtOrAfter(dir, 8);
    long commit;
    String key;
    try (Journal j = Journal.openReader(dir)) {
      commit = j.entry(seq).event().commitMicros();
      key = j.entry(seq).event().key().toString();
    }
    try (RawJournal raw = new RawJournal(dir)) {
      raw.delete("log", Keys.seq(seq));
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(seq);
    assertThat(p.what()).contains("missing");
    assertThat(p.table()).contains(ORDERS);
    assertThat(p.commitMicros()).hasValue(commit);
    assertThat(p.key())
        .satisfiesAnyOf(k -> assertThat(k).isEmpty(), k -> assertThat(k).contains(key));
  }

  @Test
  void twoEntriesSwappedAreFoundAtTheFirst() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 12, new Random(4));
    }
    try (RawJournal raw = new RawJournal(dir)) {
      byte[] a = raw.entry(5);
      byte[] b = raw.entry(9);
      raw.putEntry(5, b);
      raw.putEntry(9, a);
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(5);
    assertThat(p.what()).contains("reordered");
  }

  @Test
  void anIndexThatNoLongerAgreesWithTheLogIsFound() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 12, new Random(5));
    }
    long seq = changeAtOrAfter(dir, 6);
    try (RawJournal raw = new RawJournal(dir)) {
      byte[] victim =
          raw.keys("rows").stream().filter(k -> Keys.seqAtEnd(k) == seq).findFirst().orElseThrow();
      raw.delete("rows", victim);
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(seq);
    assertThat(p.what()).contains("row history index");
  }

  @Test
  void attributionMovedToAnotherActorIsFound() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 6, new Random(6));
    }
    try (RawJournal raw = new RawJournal(dir)) {
      byte[] k = raw.keys("actors").get(0);
      raw.delete("actors", k);
      raw.put("actors", Keys.actor("mallory", Keys.seqAtEnd(k)), new byte[0]);
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.what()).contains("actor index");
  }

  @Test
  void aSchemaChangedInTheRegistryIsFound() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 4, new Random(10));
    }
    try (RawJournal raw = new RawJournal(dir)) {
      byte[] key = raw.keys("schemas").stream().filter(k -> k[0] == 'S').findFirst().orElseThrow();
      byte[] v = raw.get("schemas", key);
      // swap the names of the columns "status" and "note": values would show under the wrong ones
      String text = new String(v, StandardCharsets.ISO_8859_1);
      text = text.replace("status", "XXXXXX").replace("note", "stat").replace("XXXXXX", "status");
      raw.put("schemas", key, text.getBytes(StandardCharsets.ISO_8859_1));
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.what()).contains("registry");
  }

  @Test
  void anUnreadableRetentionRecordIsReportedAsSuch() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      fill(j, 6, new Random(11));
      j.prune(3_500_000L, java.time.Clock.systemUTC(), Journal.Progress.NONE);
    }
    long pointer;
    try (RawJournal raw = new RawJournal(dir)) {
      pointer = Keys.seqAtEnd(raw.get("default", "retention".getBytes(StandardCharsets.UTF_8)));
      raw.delete("log", Keys.seq(pointer));
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(pointer);
    assertThat(p.what()).contains("retention record");
  }

  @Test
  void theNewestEntriesRemovedAreFound() throws Exception {
    int records;
    try (Journal j = Journal.openWriter(dir)) {
      records = fill(j, 12, new Random(7));
    }
    try (RawJournal raw = new RawJournal(dir)) {
      raw.delete("log", Keys.seq(records));
      raw.delete("log", Keys.seq(records - 1));
    }
    VerifyReport.Problem p = verify(dir).problem().orElseThrow();
    assertThat(p.seq()).isEqualTo(records - 1);
    assertThat(p.what()).contains("missing");
  }

  /** Whatever entry is altered, removed or swapped with another, verify names it. */
  @Property(tries = 25)
  void anyTamperingIsFoundAtTheEntryItTouched(@ForAll long seed) throws Exception {
    Path d = Files.createTempDirectory("rowguard-tamper-");
    try {
      Random random = new Random(seed);
      int records;
      try (Journal j = Journal.openWriter(d)) {
        records = fill(j, 3 + random.nextInt(15), random);
      }
      long a = 1 + random.nextInt(records);
      long expected = a;
      int how = random.nextInt(3);
      try (RawJournal raw = new RawJournal(d)) {
        byte[] v = raw.entry(a);
        switch (how) {
          case 0 -> {
            v[random.nextInt(v.length)] ^= (byte) (1 + random.nextInt(255));
            raw.putEntry(a, v);
          }
          case 1 -> raw.delete("log", Keys.seq(a));
          default -> {
            long b = 1 + random.nextInt(records);
            if (b == a) {
              b = a == records ? a - 1 : a + 1;
            }
            if (b < 1) {
              return; // a journal of one record has nothing to swap
            }
            byte[] w = raw.entry(b);
            raw.putEntry(a, w);
            raw.putEntry(b, v);
            expected = Math.min(a, b);
          }
        }
      }
      VerifyReport r = verify(d);
      assertThat(r.problem()).as("seed %d, tampering %d at %d", seed, how, a).isPresent();
      assertThat(r.problem().get().seq()).as("seed %d: %s", seed, r.problem()).isEqualTo(expected);
    } finally {
      try (var files = Files.walk(d)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void aReaderVerifiesWhileTheWriterAppends() {
    try (Journal w = Journal.openWriter(dir)) {
      fill(w, 5, new Random(8));
      try (Journal r = Journal.openReader(dir)) {
        fill(w, 5, new Random(9)); // after the reader's view: not checked, not a problem
        VerifyReport report = r.verify(Journal.Progress.NONE);
        assertThat(report.ok()).as("%s", report.problem()).isTrue();
        r.refresh();
        assertThat(r.verify(Journal.Progress.NONE).ok()).isTrue();
      }
    }
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  static TableId orders() {
    return ORDERS;
  }
}
