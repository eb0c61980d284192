package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.commit;
import static io.rowguard.journal.JournalTest.insert;
import static io.rowguard.journal.JournalTest.key;
import static io.rowguard.journal.JournalTest.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.journal.internal.Keys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by rowguard 0.1 (no hash chain, messages beside the log) is upgraded in place.
 */
class LegacyUpgradeTest {
  @TempDir Path dir;

  /** Rewrites a fresh journal into the format-1 layout, as rowguard 0.1 wrote it. */
  static void downgrade(Path dir, String taggedTx, String json) throws Exception {
    try (RawJournal raw = new RawJournal(dir)) {
      for (byte[] k : raw.keys("log")) {
        byte[] v = raw.get("log", k);
        byte[] record = Arrays.copyOf(v, v.length - 32 - 1); // no hash, no actor
        record[0] = 1;
        raw.put("log", k, record);
      }
      for (String meta : new String[] {"format", "journal-id", "head", "changes-appended"}) {
        raw.delete("default", meta.getBytes(StandardCharsets.UTF_8));
      }
      raw.put(
          "txinfo",
          taggedTx.getBytes(StandardCharsets.UTF_8),
          json.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void anOldJournalGetsItsChainAndItsMessagesBecomeNotes() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"), insert(2, "new", "10"));
      commit(j, "b", update(1, "new", "paid", "n1", "n1", "11"));
    }
    downgrade(dir, "11", "{\"actor\":\"ops\",\"reason\":\"undo\",\"rollback\":\"plan-1\"}");

    try (Journal r = Journal.openReader(dir)) {
      assertThat(r.history(ORDERS, key(1))).hasSize(2); // still readable before the upgrade
    }
    try (Journal j = Journal.openWriter(dir)) {
      VerifyReport report = j.verify(Journal.Progress.NONE);
      assertThat(report.ok()).as("%s", report.problem()).isTrue();
      assertThat(report.records()).isEqualTo(4); // three changes and the message's note
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
      java.util.List<Long> ops = new java.util.ArrayList<>();
      j.forEachOfActor("ops", Long.MAX_VALUE, e -> ops.add(e.seq()));
      assertThat(ops).containsExactly(3L);
      commit(j, "c", update(2, "new", "void", "n2", "n2", "12"));
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
    try (RawJournal raw = new RawJournal(dir)) {
      assertThat(raw.get("txinfo", "11".getBytes(StandardCharsets.UTF_8))).isNull();
      assertThat(raw.get("default", "migrated-up-to".getBytes(StandardCharsets.UTF_8))).isNull();
      assertThat(raw.entry(1)).hasSizeGreaterThan(32);
      assertThat(Keys.seq(1)).hasSize(8);
    }
  }
}
