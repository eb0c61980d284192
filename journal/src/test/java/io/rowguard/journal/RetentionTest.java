package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.SCHEMA;
import static io.rowguard.journal.JournalTest.key;
import static io.rowguard.journal.JournalTest.offsets;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TransactionTag;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention keeps every moment from the cut on exactly reconstructible: after pruning, each row's
 * state at any time at or after the cut, read from its history, is what it was.
 */
class RetentionTest {
  static final long SECOND = 1_000_000L;
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T00:00:00Z"), ZoneOffset.UTC);

  @TempDir Path dir;

  /** A random workload over a few rows; returns each row's state after each second. */
  static List<Map<Integer, String>> workload(
      Journal j, Random random, int seconds, int firstSecond, Map<Integer, String> state) {
    List<Map<Integer, String>> states = new ArrayList<>();
    for (int t = firstSecond; t < firstSecond + seconds; t++) {
      String tx = "t" + t;
      try (Journal.Batch b = j.newBatch()) {
        if (random.nextInt(4) == 0) {
          b.tag(tx, new TransactionTag("user" + random.nextInt(3), null, null, null, "{}"));
        }
        int ops = 1 + random.nextInt(3);
        for (int i = 0; i < ops; i++) {
          int id = 1 + random.nextInt(6);
          String old = state.get(id);
          String now = "v" + t + "." + i;
          ChangeEvent e;
          if (old == null) {
            e = event(Op.INSERT, id, null, now, t, tx, i);
            state.put(id, now);
          } else if (random.nextInt(4) == 0) {
            e = event(Op.DELETE, id, old, null, t, tx, i);
            state.remove(id);
          } else {
            e = event(Op.UPDATE, id, old, now, t, tx, i);
            state.put(id, now);
          }
          b.append(e);
        }
        b.markCommitted();
        b.putOffsets(offsets("o" + t));
        b.commit();
      }
      states.add(new TreeMap<>(state));
    }
    return states;
  }

  static ChangeEvent event(Op op, int id, String before, String after, int t, String tx, int i) {
    return new ChangeEvent(
        SCHEMA,
        op,
        before == null ? null : Row.of(SCHEMA, id, before, "n"),
        after == null ? null : Row.of(SCHEMA, id, after, "n"),
        t * SECOND,
        tx,
        "0/" + t,
        i,
        random(id));
  }

  private static String random(int id) {
    return id % 2 == 0 ? "col" + id : null;
  }

  /** Each row's state at second {@code t}, from the journal's row histories. */
  static Map<Integer, String> stateAt(Journal j, long micros) {
    Map<Integer, String> out = new TreeMap<>();
    for (int id = 1; id <= 6; id++) {
      JournalEntry last = null;
      for (JournalEntry e : j.history(ORDERS, key(id))) {
        if (e.event().commitMicros() <= micros) {
          last = e;
        }
      }
      if (last != null && last.event().after() != null) {
        out.put(id, (String) last.event().after().get("status"));
      }
    }
    return out;
  }

  @Property(tries = 30)
  void everyMomentFromTheCutOnIsStillExact(@ForAll long seed) throws Exception {
    Path d = Files.createTempDirectory("rowguard-retention-");
    try (Journal j = Journal.openWriter(d)) {
      Random random = new Random(seed);
      int seconds = 5 + random.nextInt(40);
      List<Map<Integer, String>> states = workload(j, random, seconds, 1, new TreeMap<>());
      int cut = 1 + random.nextInt(seconds);
      PruneResult result = j.prune(cut * SECOND, CLOCK, Journal.Progress.NONE);
      for (int t = cut; t <= seconds; t++) {
        assertThat(stateAt(j, t * SECOND))
            .as("seed %d, cut %d, state at %d", seed, cut, t)
            .isEqualTo(states.get(t - 1));
      }
      if (result.lastPrunedSeq() > 0) {
        assertThat(j.retentionCut()).hasValue(cut * SECOND);
      }
      VerifyReport r = j.verify(Journal.Progress.NONE);
      assertThat(r.ok()).as("seed %d: %s", seed, r.problem()).isTrue();
      assertThat(r.keptBeforeCut()).isGreaterThanOrEqualTo(result.keptBases());

      // more changes, then a later cut: still exact, still verifiable
      List<Map<Integer, String>> more =
          workload(j, random, 10, seconds + 1, new TreeMap<>(states.get(seconds - 1)));
      states.addAll(more);
      int cut2 = cut + random.nextInt(seconds + 10 - cut + 1);
      j.prune(cut2 * SECOND, CLOCK, Journal.Progress.NONE);
      for (int t = Math.max(cut2, 1); t <= seconds + 10; t++) {
        assertThat(stateAt(j, t * SECOND))
            .as("seed %d, second cut %d, state at %d", seed, cut2, t)
            .isEqualTo(states.get(t - 1));
      }
      VerifyReport r2 = j.verify(Journal.Progress.NONE);
      assertThat(r2.ok()).as("seed %d: %s", seed, r2.problem()).isTrue();
      assertThat(j.changeCount()).isEqualTo(countChanges(j));
    } finally {
      deleteTree(d);
    }
  }

  /** A prune cut short at any point is finished by the next one, with the same outcome. */
  @Property(tries = 30)
  void aPruneCutShortIsFinishedByTheNext(@ForAll long seed) throws Exception {
    Path d = Files.createTempDirectory("rowguard-retention-crash-");
    try {
      Random random = new Random(seed);
      int seconds = 10 + random.nextInt(30);
      int cut = 2 + random.nextInt(seconds - 1);
      List<Map<Integer, String>> states;
      try (Journal j = Journal.openWriter(d)) {
        states = workload(j, random, seconds, 1, new TreeMap<>());
        long crashAfter = random.nextInt(40);
        try {
          new Pruner(j, CLOCK, Journal.Progress.NONE, 1 + random.nextInt(5), crashAfter)
              .prune(cut * SECOND);
        } catch (IllegalStateException crash) {
          assertThat(crash).hasMessageContaining("simulated crash");
        }
      }
      try (Journal r = Journal.openReader(d)) {
        VerifyReport midway = r.verify(Journal.Progress.NONE);
        assertThat(midway.ok()).as("seed %d: %s", seed, midway.problem()).isTrue();
      }
      try (Journal j = Journal.openWriter(d)) {
        j.prune(cut * SECOND, CLOCK, Journal.Progress.NONE);
        for (int t = cut; t <= seconds; t++) {
          assertThat(stateAt(j, t * SECOND)).as("seed %d", seed).isEqualTo(states.get(t - 1));
        }
        VerifyReport done = j.verify(Journal.Progress.NONE);
        assertThat(done.ok()).as("seed %d: %s", seed, done.problem()).isTrue();
        assertThat(done.remarks()).isEmpty();
        assertThat(j.changeCount()).isEqualTo(countChanges(j));
      }
    } finally {
      deleteTree(d);
    }
  }

  @Test
  void keepsEachRowsLastVersionBeforeTheCutAndTheNotesOfItsTransaction() {
    try (Journal j = Journal.openWriter(dir)) {
      try (Journal.Batch b = j.newBatch()) {
        b.tag("t1", new TransactionTag("alice", "load", null, null, "{}"));
        b.append(event(Op.INSERT, 1, null, "a", 1, "t1", 0));
        b.append(event(Op.INSERT, 2, null, "b", 1, "t1", 1));
        b.markCommitted();
        b.putOffsets(offsets("1"));
        b.commit();
      }
      try (Journal.Batch b = j.newBatch()) {
        b.append(event(Op.UPDATE, 1, "a", "a2", 2, "t2", 0));
        b.append(event(Op.DELETE, 2, "b", null, 2, "t2", 1));
        b.markCommitted();
        b.putOffsets(offsets("2"));
        b.commit();
      }
      try (Journal.Batch b = j.newBatch()) {
        b.append(event(Op.UPDATE, 1, "a2", "a3", 5, "t5", 0));
        b.markCommitted();
        b.putOffsets(offsets("5"));
        b.commit();
      }
      PruneResult r = j.prune(3 * SECOND, CLOCK, Journal.Progress.NONE);
      assertThat(r.removedChanges()).isEqualTo(3); // a, b, and the delete of b
      assertThat(r.keptBases()).isEqualTo(1); // a2
      assertThat(r.removedNotes()).isEqualTo(1); // t1 has nothing left
      assertThat(j.history(ORDERS, key(1)))
          .extracting(e -> e.event().after().get("status"))
          .containsExactly("a2", "a3");
      assertThat(j.history(ORDERS, key(2))).isEmpty();
      assertThat(j.transaction("t1")).isEmpty();
      assertThat(j.changeCount()).isEqualTo(2);
      assertThat(j.status().retentionCut()).hasValue(3 * SECOND);
      assertThat(j.prune(3 * SECOND, CLOCK, Journal.Progress.NONE).prunedAnything()).isFalse();
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  @Test
  void aKeptBaseAlteredAfterAPruneIsFound() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      workload(j, new Random(11), 20, 1, new TreeMap<>());
      j.prune(10 * SECOND, CLOCK, Journal.Progress.NONE);
    }
    long base;
    try (Journal r = Journal.openReader(dir)) {
      long[] first = {0};
      r.scan(1, e -> (first[0] = e.seq()) == 0);
      base = first[0];
    }
    try (RawJournal raw = new RawJournal(dir)) {
      raw.alter(base, 'v', 'w');
    }
    try (Journal r = Journal.openReader(dir)) {
      VerifyReport report = r.verify(Journal.Progress.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.problem().get().what()).contains("retention");
    }
  }

  @Test
  void aPruneRefusesToBakeInEarlierTampering() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      workload(j, new Random(12), 20, 1, new TreeMap<>());
    }
    try (RawJournal raw = new RawJournal(dir)) {
      raw.alter(3, 'v', 'w');
    }
    try (Journal j = Journal.openWriter(dir)) {
      assertThatThrownBy(() -> j.prune(10 * SECOND, CLOCK, Journal.Progress.NONE))
          .isInstanceOf(JournalException.class)
          .hasMessageContaining("refusing to prune a journal that does not verify: entry 3");
      assertThat(j.retentionCut()).isEmpty();
      assertThat(j.verify(Journal.Progress.NONE).problem())
          .get()
          .extracting(p -> p.seq())
          .isEqualTo(3L);
    }
  }

  @Test
  void resettingThePruneCounterDoesNotHideAnAlteredBase() throws Exception {
    long base;
    try (Journal j = Journal.openWriter(dir)) {
      workload(j, new Random(13), 20, 1, new TreeMap<>());
      j.prune(10 * SECOND, CLOCK, Journal.Progress.NONE);
      long[] first = {0};
      j.scan(1, e -> (first[0] = e.seq()) == 0);
      base = first[0];
    }
    try (RawJournal raw = new RawJournal(dir)) {
      raw.put(
          "default",
          "prune-done".getBytes(java.nio.charset.StandardCharsets.UTF_8),
          io.rowguard.journal.internal.Keys.seq(0));
      raw.alter(base, 'v', 'w');
    }
    try (Journal r = Journal.openReader(dir)) {
      VerifyReport report = r.verify(Journal.Progress.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.problem().get().what()).contains("retention");
    }
  }

  @Test
  void aReaderCannotPrune() {
    try (Journal j = Journal.openWriter(dir)) {
      workload(j, new Random(1), 3, 1, new TreeMap<>());
    }
    try (Journal r = Journal.openReader(dir)) {
      assertThatThrownBy(() -> r.prune(SECOND, CLOCK, Journal.Progress.NONE))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  static long countChanges(Journal j) {
    long[] n = {0};
    j.scan(1, e -> ++n[0] > 0);
    return n[0];
  }

  static void deleteTree(Path p) throws java.io.IOException {
    try (var files = Files.walk(p)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
