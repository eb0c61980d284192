package io.rowguard.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
  static final TableId ORDERS = TableId.of("public", "orders");
  static final TableSchema SCHEMA =
      new TableSchema(
          ORDERS,
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT32)),
              new Column("status", ValueSchema.of(ValueType.STRING)),
              new Column("note", ValueSchema.of(ValueType.STRING))),
          List.of("id"));

  @TempDir Path dir;

  static ChangeEvent insert(int id, String status, String tx) {
    return new ChangeEvent(
        SCHEMA, Op.INSERT, null, Row.of(SCHEMA, id, status, "n" + id), 1_000L * id, tx, "0/1", 0);
  }

  static ChangeEvent update(
      int id, Object oldStatus, Object newStatus, Object oldNote, Object newNote, String tx) {
    return new ChangeEvent(
        SCHEMA,
        Op.UPDATE,
        Row.of(SCHEMA, id, oldStatus, oldNote),
        Row.of(SCHEMA, id, newStatus, newNote),
        2_000_000L + id,
        tx,
        "0/2",
        0);
  }

  static Map<ByteBuffer, ByteBuffer> offsets(String value) {
    return Map.of(
        ByteBuffer.wrap("partition".getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.wrap(value.getBytes(StandardCharsets.UTF_8)));
  }

  static void commit(Journal j, String offset, ChangeEvent... events) {
    try (Journal.Batch b = j.newBatch()) {
      for (ChangeEvent e : events) {
        b.append(e);
      }
      b.markCommitted();
      b.putOffsets(offsets(offset));
      b.commit();
    }
  }

  static RowKey key(int id) {
    return RowKey.of(List.of("id"), List.of(id));
  }

  /**
   * The offsets a reader of the writer's own instance sees are never ahead of the entries it can
   * read: what the freshness check (offsets) says is journaled, a plan (entries) finds. Batches are
   * committed while another thread reads the offsets and then the row each one names.
   */
  @Test
  void theOffsetsReadNeverRunAheadOfTheEntriesReadable() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      int batches = 3_000;
      java.util.concurrent.atomic.AtomicReference<String> ahead =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread reader =
          new Thread(
              () -> {
                int seen = 0;
                while (seen < batches && ahead.get() == null) {
                  ByteBuffer v = j.offsets().get(offsets("x").keySet().iterator().next());
                  if (v == null) {
                    continue;
                  }
                  seen = Integer.parseInt(StandardCharsets.UTF_8.decode(v.duplicate()).toString());
                  if (j.history(ORDERS, key(seen)).isEmpty()) {
                    ahead.set("offsets name row " + seen + ", which history does not find");
                  }
                }
              });
      reader.start();
      for (int i = 1; i <= batches; i++) {
        commit(j, Integer.toString(i), insert(i, "new", "tx" + i));
      }
      reader.join(60_000);
      assertThat(ahead.get()).isNull();
    }
  }

  @Test
  void aRowsVersionsComeBackInCommitOrderWithFullImages() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"), insert(2, "new", "10"));
      commit(j, "b", update(1, "new", "paid", "n1", "n1", "11"));
      List<JournalEntry> h = j.history(ORDERS, key(1));
      // seqs 1 and 2 register the table and its schema
      assertThat(h).extracting(JournalEntry::seq).containsExactly(3L, 5L);
      assertThat(h.get(1).event().before().get("status")).isEqualTo("new");
      assertThat(h.get(1).event().after().get("status")).isEqualTo("paid");
      assertThat(j.transaction("10")).hasSize(2);
      assertThat(j.tableChanges(ORDERS, 0, 1_500_000L))
          .extracting(JournalEntry::seq)
          .containsExactly(3L, 4L);
    }
  }

  /** The bytes of write-ahead log a reader would replay when it opens the journal. */
  long walBytes() throws java.io.IOException {
    try (var files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().matches("[0-9]+\\.log"))
          .mapToLong(f -> f.toFile().length())
          .sum();
    }
  }

  @Test
  void aClosedWriterLeavesNoLogForReadersToReplay() throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      for (int t = 0; t < 200; t++) {
        commit(j, "b" + t, insert(t, "new", Integer.toString(100 + t)));
      }
      assertThat(walBytes()).as("the log while writing").isPositive();
    }
    assertThat(walBytes()).as("flushed into tables on close").isZero();
    try (Journal r = Journal.openReader(dir)) {
      assertThat(r.transaction("199")).hasSize(1);
    }
  }

  @Test
  void aTransactionStillArrivingIsInvisibleAndDroppedWhenTheWriterReopens() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"));
      try (Journal.Batch b = j.newBatch()) {
        b.append(insert(2, "new", "11")); // no END yet: not marked committed
        b.commit();
      }
      assertThat(j.lastSeq()).isEqualTo(3);
      assertThat(j.history(ORDERS, key(2))).isEmpty();
    }
    try (Journal j = Journal.openWriter(dir)) {
      assertThat(j.lastSeq()).isEqualTo(3);
      commit(j, "b", insert(2, "new", "11"));
      assertThat(j.history(ORDERS, key(2))).extracting(JournalEntry::seq).containsExactly(4L);
    }
  }

  @Test
  void theWatermarkOnlyMovesTogetherWithOffsets() {
    try (Journal j = Journal.openWriter(dir)) {
      try (Journal.Batch b = j.newBatch()) {
        b.append(insert(1, "new", "10"));
        b.markCommitted();
        b.commit(); // offsets not flushed: the source will deliver this again
      }
      assertThat(j.lastSeq()).isZero();
      j.discardIncomplete();
      commit(j, "a", insert(1, "new", "10"));
      assertThat(j.lastSeq()).isEqualTo(3);
      assertThat(j.changeCount()).isEqualTo(1);
      assertThat(j.offsets().values())
          .containsExactly(ByteBuffer.wrap("a".getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void aBatchThatIsNotCommittedLeavesNoTrace() {
    try (Journal j = Journal.openWriter(dir)) {
      try (Journal.Batch b = j.newBatch()) {
        b.append(insert(1, "new", "10"));
        b.markCommitted();
      }
      commit(j, "a", insert(2, "new", "11"));
      assertThat(j.history(ORDERS, key(1))).isEmpty();
      assertThat(j.history(ORDERS, key(2))).extracting(JournalEntry::seq).containsExactly(3L);
    }
  }

  @Test
  void aBatchWrittenInPartsBecomesVisibleWholeAtItsCommit() {
    int n = 2 * Journal.PART_ENTRIES + 7;
    try (Journal w = Journal.openWriter(dir)) {
      commit(w, "a", insert(1, "new", "10"));
      try (Journal r = Journal.openReader(dir);
          Journal.Batch b = w.newBatch()) {
        for (int i = 0; i < n; i++) {
          b.append(insert(100 + i, "new", "11"));
        }
        b.markCommitted();
        b.putOffsets(offsets("b"));
        r.refresh();
        assertThat(r.changeCount()).isEqualTo(1);
        assertThat(r.history(ORDERS, key(100))).isEmpty();
        b.commit();
        r.refresh();
        assertThat(r.changeCount()).isEqualTo(1 + n);
        assertThat(r.history(ORDERS, key(100 + n - 1))).hasSize(1);
      }
      assertThat(w.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  @Test
  void aBatchGivenUpAfterAPartWasWrittenStopsTheJournalAndReopeningDropsIt() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"));
      try (Journal.Batch b = j.newBatch()) {
        for (int i = 0; i < Journal.PART_ENTRIES + 1; i++) {
          b.append(insert(100 + i, "new", "11"));
        }
        b.markCommitted();
      }
      assertThatThrownBy(j::newBatch)
          .isInstanceOf(JournalException.class)
          .hasMessageContaining("reopen the journal");
    }
    try (Journal j = Journal.openWriter(dir)) {
      assertThat(j.changeCount()).isEqualTo(1);
      assertThat(j.history(ORDERS, key(100))).isEmpty();
      assertThat(j.verify(Journal.Progress.NONE).ok()).isTrue();
      commit(j, "b", insert(2, "new", "12"));
      assertThat(j.history(ORDERS, key(2))).extracting(JournalEntry::seq).containsExactly(4L);
    }
  }

  @Test
  void aValueTheLogLeftOutIsFilledFromTheBeforeImageOrTheRowsPreviousVersion() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"));
      // FULL identity: the before image has it
      commit(j, "b", update(1, "new", "paid", "n1", Row.UNAVAILABLE, "11"));
      // no before value either: the previous version has it
      commit(j, "c", update(1, "paid", "shipped", Row.UNAVAILABLE, Row.UNAVAILABLE, "12"));
      List<JournalEntry> h = j.history(ORDERS, key(1));
      assertThat(h).extracting(e -> e.event().after().get("note")).containsOnly("n1");
      assertThat(h.get(2).event().before().get("note")).isEqualTo("n1");
    }
  }

  @Test
  void aValueTheLogLeftOutIsFilledFromAnEarlierVersionInTheSameBatch() {
    try (Journal j = Journal.openWriter(dir)) {
      // the table is registered by this very batch, and the version to fill from is in it too
      commit(
          j,
          "a",
          insert(1, "new", "10"),
          insert(2, "new", "10"),
          update(1, "new", "paid", Row.UNAVAILABLE, Row.UNAVAILABLE, "10"));
      List<JournalEntry> h = j.history(ORDERS, key(1));
      assertThat(h).extracting(e -> e.event().after().get("note")).containsOnly("n1");
      assertThat(h.get(1).event().before().get("note")).isEqualTo("n1");
    }
  }

  @Test
  void aValueThatCannotBeFilledIsStoredAsUnknownNeverAsAPlaceholder() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", update(9, "a", "b", Row.UNAVAILABLE, Row.UNAVAILABLE, "13"));
      JournalEntry e = j.history(ORDERS, key(9)).get(0);
      assertThat(e.event().before().get("note")).isSameAs(Row.MISSING);
      assertThat(e.event().after().get("note")).isSameAs(Row.MISSING);
      assertThat(e.event().after().get("status")).isEqualTo("b");
      assertThat(e.event().before().missingColumns()).containsExactly("note");
    }
    try (Journal r = Journal.openReader(dir)) {
      // unknown survives the journal's encoding, and the chain verifies
      assertThat(r.history(ORDERS, key(9)).get(0).event().hasMissing()).isTrue();
      assertThat(r.verify(Journal.Progress.NONE).ok()).isTrue();
    }
  }

  @Test
  void aTruncateRemovesEveryRowTheJournalKnowsIncludingThisTransactionsOwn() {
    try (Journal j = Journal.openWriter(dir)) {
      commit(j, "a", insert(1, "new", "10"), insert(2, "new", "10"), insert(3, "new", "10"));
      commit(
          j,
          "b",
          new ChangeEvent(
              SCHEMA, Op.DELETE, Row.of(SCHEMA, 3, "new", "n3"), null, 3_000L, "11", "0/3", 0));
      try (Journal.Batch b = j.newBatch()) {
        b.append(insert(4, "new", "12")); // same transaction, before the truncate
        List<JournalEntry> removed = b.truncate(ORDERS, 5_000L, "12", "0/5", 1);
        b.append(insert(1, "again", "12"));
        b.markCommitted();
        b.putOffsets(offsets("c"));
        b.commit();
        assertThat(removed)
            .extracting(e -> e.event().key().toString())
            .containsExactly("1", "2", "4");
        assertThat(removed).extracting(e -> e.event().op()).containsOnly(Op.TRUNCATE);
        assertThat(removed.get(0).event().before().get("status")).isEqualTo("new");
      }
      assertThat(j.history(ORDERS, key(2)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.TRUNCATE);
      assertThat(j.history(ORDERS, key(1)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.TRUNCATE, Op.INSERT);
      assertThat(j.history(ORDERS, key(3)))
          .extracting(e -> e.event().op())
          .containsExactly(Op.INSERT, Op.DELETE);
    }
  }

  @Test
  void aReaderSeesWhatTheWriterCommittedWithoutBlockingIt() {
    try (Journal w = Journal.openWriter(dir)) {
      commit(w, "a", insert(1, "new", "10"));
      try (Journal r = Journal.openReader(dir)) {
        assertThat(r.history(ORDERS, key(1))).hasSize(1);
        commit(w, "b", update(1, "new", "paid", "n1", "n1", "11"));
        r.refresh();
        assertThat(r.history(ORDERS, key(1))).hasSize(2);
        assertThat(r.status().entries()).isEqualTo(2);
      }
    }
  }

  @Test
  void aSecondWriterIsRefusedWithAClearMessage() {
    try (Journal w = Journal.openWriter(dir)) {
      assertThatThrownBy(() -> Journal.openWriter(dir))
          .isInstanceOf(JournalException.class)
          .hasMessageContaining("in use by another process");
    }
  }

  /**
   * A seeded crash simulation: batches of random size, some ending transactions, some storing
   * offsets, and a crash (the process dies before a batch is written) at a random point. After
   * reopening, the journal holds exactly the entries up to the last transaction boundary that was
   * stored together with offsets, and those offsets.
   */
  @Property(tries = 40)
  void afterACrashTheJournalEqualsWhatItsOffsetsSay(@ForAll long seed) throws Exception {
    // jqwik properties get no JUnit @TempDir
    Path d = Files.createTempDirectory("rowguard-sim-");
    Random random = new Random(seed);
    List<String> appended = new ArrayList<>();
    int transactions = 0;
    List<String> durable = List.of();
    String durableOffset = null;
    try (Journal j = Journal.openWriter(d)) {
      int batches = 1 + random.nextInt(20);
      for (int b = 0; b < batches; b++) {
        try (Journal.Batch batch = j.newBatch()) {
          int boundaryAt = -1;
          // now and then a batch large enough to be written in parts
          int n =
              random.nextInt(8) == 0
                  ? Journal.PART_ENTRIES + random.nextInt(Journal.PART_ENTRIES)
                  : random.nextInt(6);
          for (int i = 0; i < n; i++) {
            String id = "e" + appended.size();
            String tx = "tx" + transactions;
            if (random.nextInt(5) == 0) {
              batch.tag(tx, new io.rowguard.core.TransactionTag("u", null, null, null, "{}"));
            }
            batch.append(insert(appended.size() + 1, id, tx));
            appended.add(id);
            if (random.nextInt(3) == 0) {
              transactions++;
              batch.markCommitted();
              boundaryAt = appended.size();
            }
          }
          if (b == batches - 1 && random.nextBoolean()) {
            break; // crash: the batch is never written
          }
          boolean withOffsets = random.nextInt(4) != 0;
          if (withOffsets) {
            batch.putOffsets(offsets("b" + b));
          }
          batch.commit();
          if (withOffsets) {
            durableOffset = "b" + b;
            if (boundaryAt >= 0) {
              durable = List.copyOf(appended.subList(0, boundaryAt));
            }
          }
        }
      }
    }
    try (Journal j = Journal.openWriter(d);
        java.io.Closeable cleanup = () -> deleteTree(d)) {
      List<String> visible = new ArrayList<>();
      j.scan(1, e -> visible.add((String) e.event().after().get("status")));
      assertThat(visible).as("seed %d", seed).isEqualTo(durable);
      VerifyReport report = j.verify(Journal.Progress.NONE);
      assertThat(report.ok()).as("seed %d: %s", seed, report.problem()).isTrue();
      assertThat(j.changeCount()).isEqualTo(durable.size());
      if (durableOffset != null) {
        assertThat(j.offsets().values())
            .containsExactly(ByteBuffer.wrap(durableOffset.getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  private static void deleteTree(Path p) throws java.io.IOException {
    try (var files = Files.walk(p)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
