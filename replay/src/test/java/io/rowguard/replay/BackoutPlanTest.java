package io.rowguard.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backout takes the listed transactions out of each row's history value by value: what the row
 * would hold had they never run, with every later transaction's work kept, and a conflict wherever
 * the two touched the same value.
 */
class BackoutPlanTest {
  static final TableSchema ORDERS =
      new TableSchema(
          TableId.of("public", "orders"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT64)),
              new Column("customer", ValueSchema.of(ValueType.INT64)),
              new Column("amount", ValueSchema.of(ValueType.INT64)),
              new Column("status", ValueSchema.of(ValueType.STRING))),
          List.of("id"));

  static final long T0 = 1_790_000_000_000_000L;

  @TempDir Path dir;
  Journal journal;
  long tx = 10;
  final List<ChangeEvent> pending = new ArrayList<>();

  static Row order(long id, long customer, long amount, String status) {
    return Row.of(ORDERS, id, customer, amount, status);
  }

  void insert(Row r) {
    pending.add(event(Op.INSERT, null, r));
  }

  void update(Row from, Row to) {
    pending.add(event(Op.UPDATE, from, to));
  }

  void delete(Row r) {
    pending.add(event(Op.DELETE, r, null));
  }

  String actor;

  ChangeEvent event(Op op, Row before, Row after) {
    return new ChangeEvent(
        ORDERS, op, before, after, T0 + tx * 1_000_000L, Long.toString(tx), "0/" + tx, 0, actor);
  }

  /** Commits what was queued as transaction {@code tx}; returns its id. */
  String commit() {
    try (Journal.Batch b = journal.newBatch()) {
      int order = 0;
      for (ChangeEvent e : pending) {
        b.append(
            new ChangeEvent(
                e.schema(),
                e.op(),
                e.before(),
                e.after(),
                e.commitMicros(),
                e.txId(),
                e.position() + "/" + order,
                order++,
                e.actor()));
      }
      PlannerTest.commit(b, tx);
    }
    pending.clear();
    return Long.toString(tx++);
  }

  String loader;
  String loader2;
  String shop;

  /**
   * Four real orders; a loader rewrites two, deletes one, inserts a test order, and, in a second
   * transaction, changes a fourth; the shop meanwhile ships order 1 (another column), corrects
   * order 2's customer (the same column), takes order 3's key again and updates the test order.
   */
  @BeforeEach
  void incident() {
    journal = Journal.openWriter(dir);
    for (long id = 1; id <= 4; id++) {
      insert(order(id, id, 100 * id, "new"));
    }
    commit();
    actor = "loader";
    update(order(1, 1, 100, "new"), order(1, 99, 0, "new"));
    update(order(2, 2, 200, "new"), order(2, 99, 200, "new"));
    delete(order(3, 3, 300, "new"));
    insert(order(5, 99, 1, "test"));
    loader = commit();
    actor = "shop";
    update(order(1, 99, 0, "new"), order(1, 99, 0, "shipped"));
    update(order(2, 99, 200, "new"), order(2, 7, 200, "new"));
    insert(order(3, 3, 333, "reordered"));
    update(order(5, 99, 1, "test"), order(5, 99, 1, "paid"));
    shop = commit();
    actor = "loader";
    update(order(4, 4, 400, "new"), order(4, 4, 0, "new"));
    loader2 = commit();
  }

  Planner planner() {
    return new Planner(journal, Clock.fixed(Instant.ofEpochSecond(2_000_000_000L), ZoneOffset.UTC));
  }

  static Map<Object, Row> targets(RollbackPlan plan) {
    return plan.changes().stream()
        .collect(
            Collectors.toMap(
                c -> c.key().values().get(0),
                c ->
                    c.target() == null
                        ? Row.of(ORDERS, c.key().values().get(0), 0L, 0L, "gone")
                        : c.target()));
  }

  @Test
  void skipPutsBackWhatOnlyTheListedTransactionsChangedAndKeepsEveryLaterValue() {
    RollbackPlan plan =
        planner().backout(List.of(loader, loader2), Granularity.CELL, ConflictPolicy.SKIP, false);
    Map<Object, Row> t = targets(plan);
    // order 1: the loader's customer and amount go back, the shop's status stays
    assertThat(t.get(1L)).isEqualTo(order(1, 1, 100, "shipped"));
    // order 2: the shop corrected the customer after the loader: its value is kept, so no change
    assertThat(t).doesNotContainKey(2L);
    // order 3: its key was used again by the shop: the shop's row stays
    assertThat(t).doesNotContainKey(3L);
    // order 5: inserted by the loader but paid since: kept
    assertThat(t).doesNotContainKey(5L);
    // order 4: the second loader transaction, in the same plan
    assertThat(t.get(4L)).isEqualTo(order(4, 4, 400, "new"));
    assertThat(plan.dependents()).isEmpty();
    assertThat(plan.warnings())
        .anyMatch(
            w ->
                w.contains("key 2")
                    && w.contains(
                        "customer: changed by transaction "
                            + loader
                            + ", later by transaction "
                            + shop))
        .anyMatch(
            w -> w.contains("key 3") && w.contains("its key used again by transaction " + shop))
        .anyMatch(w -> w.contains("key 5") && w.contains("inserted by transaction " + loader));
    assertThat(plan.description()).contains(loader + ", " + loader2).contains("value by value");
  }

  @Test
  void aSelectionByActorAndTimeTakesEveryTransactionOfThatWriterAndThePlanListsThem() {
    long far = T0 + 1_000_000_000L;
    assertThat(planner().select("loader", false, T0, far, java.util.Set.of()))
        .containsExactly(loader, loader2);
    assertThat(planner().select("loader", false, T0, T0 + 13 * 1_000_000L, java.util.Set.of()))
        .as("the window ends before the second")
        .containsExactly(loader);
    assertThat(planner().select(null, true, T0, far, java.util.Set.of())).containsExactly("10");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> planner().select("nobody", false, T0, far, java.util.Set.of()))
        .hasMessageContaining("no transaction by nobody");
    RollbackPlan plan =
        planner()
            .backout(
                planner().select("loader", false, T0, far, java.util.Set.of()),
                Granularity.CELL,
                ConflictPolicy.SKIP,
                false);
    assertThat(plan.undone())
        .extracting(UndoneTransaction::txId, UndoneTransaction::actor, UndoneTransaction::changes)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(loader, "loader", 4),
            org.assertj.core.groups.Tuple.tuple(loader2, "loader", 1));
  }

  @Test
  void overwritePutsBackTheEarlierStateWhereTheyCollide() {
    RollbackPlan plan =
        planner()
            .backout(List.of(loader, loader2), Granularity.CELL, ConflictPolicy.OVERWRITE, false);
    Map<Object, Row> t = targets(plan);
    assertThat(t.get(1L)).isEqualTo(order(1, 1, 100, "shipped"));
    assertThat(t.get(2L)).isEqualTo(order(2, 2, 200, "new"));
    assertThat(t.get(3L)).isEqualTo(order(3, 3, 300, "new"));
    assertThat(plan.changes().stream().filter(c -> c.key().values().get(0).equals(5L)))
        .singleElement()
        .satisfies(c -> assertThat(c.action()).isEqualTo(Action.DELETE));
    assertThat(plan.dependents()).isEmpty();
  }

  @Test
  void abortPlansTheEarlierStateAndNamesEachCollisionAsTheRowsConflict() {
    RollbackPlan plan =
        planner().backout(List.of(loader, loader2), Granularity.CELL, ConflictPolicy.ABORT, false);
    Map<Object, RowChange> rows =
        plan.changes().stream().collect(Collectors.toMap(c -> c.key().values().get(0), c -> c));
    assertThat(rows.get(1L).dependents()).as("only another column changed later").isEmpty();
    assertThat(rows.get(2L).dependents()).containsExactly(shop);
    assertThat(rows.get(2L).conflict())
        .isEqualTo("customer: changed by transaction " + loader + ", later by transaction " + shop);
    assertThat(rows.get(3L).dependents()).containsExactly(shop);
    assertThat(rows.get(5L).conflict())
        .contains("changed later by transaction " + shop + " (status)");
    assertThat(rows.get(4L).dependents()).isEmpty();
  }

  @Test
  void rowGranularityPutsEachRowBackWholeWithItsLaterWritersAsDependents() {
    RollbackPlan plan =
        planner().backout(List.of(loader), Granularity.ROW, ConflictPolicy.ABORT, false);
    Map<Object, Row> t = targets(plan);
    assertThat(t.get(1L)).isEqualTo(order(1, 1, 100, "new")); // the shop's status reverted too
    assertThat(plan.dependents()).containsExactly(shop);
  }

  @Test
  void backingOutTheLaterWritersTooLeavesNoConflict() {
    RollbackPlan plan =
        planner().backout(List.of(loader), Granularity.CELL, ConflictPolicy.ABORT, true);
    assertThat(plan.dependents()).isEmpty();
    Map<Object, Row> t = targets(plan);
    assertThat(t.get(1L)).isEqualTo(order(1, 1, 100, "new"));
    assertThat(t.get(3L)).isEqualTo(order(3, 3, 300, "new"));
    assertThat(plan.description()).contains("and their dependents " + shop);
  }

  @Test
  void aLaterTransactionThatPutBackWhatTheListedOneChangedAgreesWithTheBackout() {
    actor = "oncall"; // an earlier undo of loader2, by hand
    update(order(4, 4, 0, "new"), order(4, 4, 400, "new"));
    commit();
    RollbackPlan plan =
        planner().backout(List.of(loader2), Granularity.CELL, ConflictPolicy.ABORT, false);
    assertThat(plan.changes()).as("nothing left to undo, and no conflict").isEmpty();
    assertThat(plan.dependents()).isEmpty();
  }

  /**
   * A mass write: {@code rows} orders rewritten by one loader transaction, a second loader
   * transaction after a shop one, the shop changing every tenth order between and after them.
   */
  List<String> massWrite(int rows) {
    for (long id = 100; id < 100 + rows; id++) {
      insert(order(id, id, id, "new"));
    }
    commit();
    actor = "loader";
    for (long id = 100; id < 100 + rows; id++) {
      update(order(id, id, id, "new"), order(id, 99, 0, "new"));
    }
    String first = commit();
    actor = "shop";
    for (long id = 100; id < 100 + rows; id += 10) {
      update(order(id, 99, 0, "new"), order(id, 99, 0, "shipped"));
    }
    commit();
    actor = "loader";
    for (long id = 101; id < 100 + rows; id += 10) {
      update(order(id, 99, 0, "new"), order(id, 99, 0, "test"));
    }
    String second = commit();
    actor = "shop";
    for (long id = 102; id < 100 + rows; id += 10) {
      update(order(id, 99, 0, "new"), order(id, 98, 0, "new"));
    }
    commit();
    return List.of(first, second);
  }

  /** Each row the transactions changed, with those changes, as the planner gathers them. */
  Map<Planner.RowId, List<io.rowguard.journal.JournalEntry>> touched(List<String> txs) {
    Map<Planner.RowId, List<io.rowguard.journal.JournalEntry>> out =
        new java.util.LinkedHashMap<>();
    for (String t : txs) {
      for (io.rowguard.journal.JournalEntry e : journal.transaction(t)) {
        out.computeIfAbsent(
                new Planner.RowId(e.event().table(), e.event().key()), r -> new ArrayList<>())
            .add(e);
      }
    }
    out.values().forEach(l -> l.sort(java.util.Comparator.comparingLong(e -> e.seq())));
    return out;
  }

  /** Per row, its history from its first listed change on, as {@link BackoutHistories} reads it. */
  Map<Object, List<Long>> histories(List<String> txs, boolean inOnePass) {
    Map<Planner.RowId, List<io.rowguard.journal.JournalEntry>> touched = touched(txs);
    Map<Object, List<Long>> out = new java.util.HashMap<>();
    try (BackoutHistories h = new BackoutHistories(journal, touched)) {
      assertThat(h.readInOnePass()).isEqualTo(inOnePass);
      touched.forEach(
          (row, listed) ->
              out.put(
                  row.key().values().get(0),
                  h.of(row, listed).stream().map(e -> e.seq()).toList()));
    }
    return out;
  }

  @Test
  void aRowsHistoryFromItsFirstListedChangeIsTheSameReadInOnePassOrRowByRow() {
    List<String> loaders = massWrite(200);
    // caught soon: the log after the first loader change holds 60 other changes for 200 rows
    Map<Object, List<Long>> soon = histories(loaders, true);
    for (Map.Entry<Object, List<Long>> row : soon.entrySet()) {
      long first = row.getValue().get(0);
      assertThat(row.getValue())
          .as("order %s", row.getKey())
          .containsExactlyElementsOf(
              java.util.Arrays.stream(
                      journal.versions(
                          ORDERS.table(),
                          io.rowguard.core.RowKey.of(List.of("id"), List.of(row.getKey())),
                          first))
                  .boxed()
                  .toList());
    }
    assertThat(soon.get(100L)).as("the loader's change, then the shop's").hasSize(2);
    assertThat(soon.get(101L)).as("both loader transactions'").hasSize(2);
    // caught late: much else written since; the same histories, read a row at a time
    actor = "shop";
    for (long id = 1_000; id < 1_300; id++) {
      insert(order(id, id, id, "new"));
    }
    commit();
    assertThat(histories(loaders, false)).isEqualTo(soon);
    RollbackPlan plan = planner().backout(loaders, Granularity.CELL, ConflictPolicy.SKIP, false);
    Map<Object, Row> t = targets(plan);
    assertThat(t.get(100L)).isEqualTo(order(100, 100, 100, "shipped"));
    assertThat(t.get(101L)).isEqualTo(order(101, 101, 101, "new"));
    assertThat(t.get(102L)).as("the shop's customer kept").isEqualTo(order(102, 98, 102, "new"));
    assertThat(t).hasSize(200);
  }
}
