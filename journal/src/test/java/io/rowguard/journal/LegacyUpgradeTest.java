package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.SCHEMA;
import static io.rowguard.journal.JournalTest.commit;
import static io.rowguard.journal.JournalTest.insert;
import static io.rowguard.journal.JournalTest.key;
import static io.rowguard.journal.JournalTest.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.BinaryWriter;
import io.rowguard.core.ChangeEvent;
import io.rowguard.journal.internal.EntryCodec;
import io.rowguard.journal.internal.Keys;
import io.rowguard.journal.internal.SchemaCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by rowguard 0.1 (no hash chain, messages beside the log) is upgraded in place.
 */
class LegacyUpgradeTest {
  @TempDir Path dir;

  /** Writes a journal the way rowguard 0.1 did: bare change records, the registry, the indexes. */
  static void writeFormat1(Path dir, List<ChangeEvent> changes, String taggedTx, String json)
      throws Exception {
    Journal.openWriter(dir).close(); // the column families
    try (RawJournal raw = new RawJournal(dir)) {
      for (String meta : new String[] {"format", "journal-id"}) {
        raw.delete("default", meta.getBytes(StandardCharsets.UTF_8));
      }
      raw.put(
          "schemas",
          new BinaryWriter().writeByte('T').writeInt(1).toByteArray(),
          new BinaryWriter().writeString("public").writeString("orders").toByteArray());
      raw.put(
          "schemas",
          new BinaryWriter().writeByte('S').writeInt(1).toByteArray(),
          SchemaCodec.encode(SCHEMA));
      long seq = 0;
      for (ChangeEvent e : changes) {
        seq++;
        BinaryWriter out = new BinaryWriter();
        EntryCodec.encode(out, 1, e);
        byte[] v2 = out.toByteArray();
        byte[] v1 = Arrays.copyOf(v2, v2.length - 1); // format 1 had no actor
        v1[0] = 1;
        raw.putEntry(seq, v1);
        byte[] key = e.key().encode();
        raw.put("rows", Keys.row(1, key, seq), new byte[0]);
        raw.put("time", Keys.time(1, e.commitMicros(), seq), new byte[0]);
        raw.put("tx", Keys.tx(e.txId(), seq), new byte[0]);
      }
      raw.put("default", "watermark".getBytes(StandardCharsets.UTF_8), Keys.seq(seq));
      raw.put(
          "txinfo",
          taggedTx.getBytes(StandardCharsets.UTF_8),
          json.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void anOldJournalGetsItsChainAndItsMessagesBecomeNotes() throws Exception {
    List<ChangeEvent> changes = new ArrayList<>();
    changes.add(insert(1, "new", "10"));
    changes.add(insert(2, "new", "10"));
    changes.add(update(1, "new", "paid", "n1", "n1", "11"));
    writeFormat1(
        dir, changes, "11", "{\"actor\":\"ops\",\"reason\":\"undo\",\"rollback\":\"plan-1\"}");

    try (Journal r = Journal.openReader(dir)) {
      assertThat(r.history(ORDERS, key(1))).hasSize(2); // still readable before the upgrade
    }
    try (Journal j = Journal.openWriter(dir)) {
      VerifyReport report = j.verify(Journal.Progress.NONE);
      assertThat(report.ok()).as("%s", report.problem()).isTrue();
      // three changes, the table's and the schema's registrations, and the message's note
      assertThat(report.records()).isEqualTo(6);
      assertThat(j.changeCount()).isEqualTo(3);
      assertThat(j.tag("11"))
          .get()
          .satisfies(
              t -> {
                assertThat(t.actor()).isEqualTo("ops");
                assertThat(t.rollback()).isEqualTo("plan-1");
              });
      assertThat(j.history(ORDERS, key(1)))
          .extracting(e -> e.event().after().get("status"))
          .containsExactly("new", "paid");
      List<Long> ops = new ArrayList<>();
      j.forEachOfActor("ops", Long.MAX_VALUE, e -> ops.add(e.seq()));
      assertThat(ops).containsExactly(3L);
      commit(j, "c", update(2, "new", "void", "n2", "n2", "12"));
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
    try (RawJournal raw = new RawJournal(dir)) {
      assertThat(raw.get("txinfo", "11".getBytes(StandardCharsets.UTF_8))).isNull();
      assertThat(raw.get("default", "migrated-up-to".getBytes(StandardCharsets.UTF_8))).isNull();
      assertThat(raw.entry(1)).hasSizeGreaterThan(32);
    }
  }
}
