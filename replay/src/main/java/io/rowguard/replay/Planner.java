package io.rowguard.replay;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.InputException;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueFormat;
import io.rowguard.core.Values;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.JournalStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Builds rollback and backout plans from the journal alone: what each row looked like at the target
 * moment, against what the journal says it looks like now.
 */
public final class Planner {
  private final Journal journal;
  private final Clock clock;

  public Planner(Journal journal, Clock clock) {
    this.journal = journal;
    this.clock = clock;
  }

  /** The named rows back to their state at {@code point}. */
  public RollbackPlan rollbackRows(TableId table, List<RowKey> keys, PointInTime point) {
    Bound bound = bound(point, table);
    Predicate<JournalEntry> before = bound.before();
    PointColumns columns = PointColumns.of(journal, table, before, bound.fromMicros());
    List<RowChange> changes = new ArrayList<>();
    List<RowChange> settled = new ArrayList<>();
    int unchanged = 0;
    for (RowKey key : new LinkedHashSet<>(keys)) {
      List<JournalEntry> history = journal.history(table, key);
      if (history.isEmpty()) {
        throw new InputException("no row of " + table + " with key " + key + " in the journal");
      }
      RowChange c = change(table, key, history, before, List.of(), columns);
      if (c == null) {
        unchanged++;
        settled(table, key, history).ifPresent(settled::add);
      } else {
        changes.add(c);
      }
    }
    return plan(
            "rollback of " + keys.size() + " row(s) of " + table + " to " + describe(point),
            changes,
            unchanged)
        .undoing(undone(table, bound(point, table), changes))
        .settling(settled);
  }

  /**
   * Every row of the table that changed since {@code point} back to its state then. One scan of the
   * table's changes since that moment: a row's target is the before image of its first change since
   * (the full row then, or none for an insert), its current state the after image of its last.
   */
  public RollbackPlan rollbackTable(TableId table, PointInTime point) {
    return rollbackTable(table, point, null);
  }

  /**
   * The rows of a whole-table plan as the planner meets them, before the plan is done: for a caller
   * that stages them meanwhile ({@link PlanApplier#rollbackTable}). A row is given when first met,
   * unless it is unchanged then; what a row given early became by the plan's end is given as a
   * revision. Calls come one at a time, from the planner's threads; they must not throw. When
   * planning fails, a call already under way on the helper thread may still end after the planner
   * has thrown: a caller that then abandons what it staged ignores calls from that point on.
   */
  public interface EarlyRows {
    /** A row's change as the planner first met it; {@code id} names it in {@link #revised}. */
    void row(int id, RowChange change);

    /**
     * A row given earlier changed again later: its change in the plan, or null when it ends
     * unchanged (not in the plan).
     */
    void revised(int id, RowChange change);
  }

  /**
   * As {@link #rollbackTable(TableId, PointInTime)}, giving each row to {@code early} as soon as it
   * is met. The plan returned is the same.
   */
  public RollbackPlan rollbackTable(TableId table, PointInTime point, EarlyRows early) {
    Bound bound = bound(point, table);
    Predicate<JournalEntry> before = bound.before();
    PointColumns columns = PointColumns.of(journal, table, before, bound.fromMicros());
    // per row: the first change since the point (its before image is the target) and the last
    // (its after image is the current state); streamed, so memory holds one entry per row. The
    // journal's count of changes since the point bounds the rows: the map never rehashes them
    long since = journal.lastSeq() - journal.seqAtTime(bound.fromMicros()) + 1;
    int expected = (int) Math.max(16, Math.min(since, MAX_PRESIZE));
    Map<RowKey, RowSpan> rows = new HashMap<>(expected * 4 / 3 + 1);
    List<RowSpan> order = new ArrayList<>(expected);
    Interner interner = new Interner();
    Spill spill = new Spill(journal, columns);
    int[] given = {0}; // rows given early so far (their ids)
    // each transaction met since the point, for the plan's list of the work it undoes
    Map<String, SeenTx> seen = new LinkedHashMap<>();
    String[] lastTx = {null};
    // two threads: this one reads the journal, a helper reduces the changes to rows; batches pass
    // through a short queue. Reading alone is cheaper than reducing, so decoding is shared: this
    // thread decodes every other batch, the helper the rest
    BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(QUEUED_BATCHES);
    Semaphore room = new Semaphore(QUEUED_BYTES);
    FutureTask<Void> reduce =
        new FutureTask<>(
            () -> {
              ChangeEvent previous = null;
              for (Batch batch = queue.take();
                  batch.stored() != null;
                  room.release(batch.weight()), batch = queue.take()) {
                for (int i = 0; i < batch.stored().size(); i++) {
                  JournalEntry e = batch.decoded()[i];
                  if (e == null) {
                    e = batch.stored().decode(i, previous);
                  }
                  previous = e.event();
                  if (before.test(e)) {
                    continue;
                  }
                  RowKey key = e.event().key();
                  RowSpan span = rows.get(key);
                  if (!e.event().txId().equals(lastTx[0])) { // a mass write's rows share one
                    lastTx[0] = e.event().txId();
                    seen.putIfAbsent(
                        lastTx[0], new SeenTx(e.event().commitMicros(), e.event().actor()));
                  }
                  if (span == null) {
                    span = new RowSpan();
                    rows.put(key, span);
                    order.add(span);
                    RowChange c = span.add(table, key, e, interner, columns, spill);
                    if (early != null && !span.unchanged) {
                      span.given = given[0]++;
                      early.row(span.given, c);
                    }
                  } else {
                    span.revised |=
                        span.add(table, key, e, interner, columns, spill) != null
                            && span.given >= 0;
                  }
                  span.noteTx(e.event().txId());
                  if (spill.passedLimit()) {
                    order.forEach(RowSpan::dropImages); // too large to hold: read back instead
                  }
                }
              }
              return null;
            });
    Thread reducer = new Thread(reduce, "rowguard-plan-" + table);
    reducer.setDaemon(true);
    reducer.start();
    try {
      int[] batches = {0};
      journal.forEachStoredOfTable(
          table,
          bound.fromMicros(),
          BATCH,
          stored -> {
            // large values make large batches: what is queued is bounded by bytes too
            int weight = (int) Math.min(QUEUED_BYTES, 3L * stored.bytes());
            hand(room, weight, reduce);
            hand(queue, batch(stored, batches[0]++ % 2 == 0, weight), reduce);
            return !reduce.isDone(); // done early: it failed, and says why
          });
      hand(queue, new Batch(null, null, 0), reduce);
      reduce.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while planning", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("planning failed", e.getCause());
    } finally {
      reduce.cancel(true); // done already, unless reading the journal failed
    }
    SpilledChanges spilledChanges = new SpilledChanges(journal, table, columns);
    SpilledChanges spilledSettled = new SpilledChanges(journal, table, columns);
    List<RowChange> changes = spill.on() ? spilledChanges : new ArrayList<>(order.size());
    List<RowChange> settled = spill.on() ? spilledSettled : new ArrayList<>();
    int unchanged = 0;
    for (RowSpan span : order) {
      if (early != null) {
        if (span.revised) {
          early.revised(span.given, span.unchanged ? null : spill.change(table, span));
        } else if (span.given < 0 && !span.unchanged) {
          early.row(given[0]++, spill.change(table, span));
        }
      }
      if (span.unchanged) {
        unchanged++;
        if (span.currentPresent) {
          if (spill.on()) {
            spilledSettled.add(span.first, span.last, span.changed, span.currentTx);
          } else {
            settled.add(span.change);
          }
        }
      } else if (spill.on()) {
        spilledChanges.add(span.first, span.last, span.changed, span.currentTx);
      } else {
        changes.add(span.change);
      }
    }
    return plan("rollback of table " + table + " to " + describe(point), changes, unchanged)
        .undoing(undone(table, order, seen))
        .settling(settled);
  }

  /** A transaction the table planner met: when it committed, the actor its first change names. */
  private record SeenTx(long commitMicros, String eventActor) {}

  /**
   * The transactions after the point that changed rows of the plan, oldest first, from what the
   * table planner gathered while it read (no second pass over the table).
   */
  private List<UndoneTransaction> undone(
      TableId table, List<RowSpan> order, Map<String, SeenTx> seen) {
    Map<String, Integer> changes = new HashMap<>();
    for (RowSpan span : order) {
      if (!span.unchanged) {
        span.forEachTx(tx -> changes.merge(tx, 1, Integer::sum));
      }
    }
    List<UndoneTransaction> out = new ArrayList<>();
    seen.forEach(
        (tx, s) -> {
          Integer n = changes.get(tx);
          if (n != null) {
            String actor =
                journal.tag(tx).map(io.rowguard.core.TransactionTag::actor).orElse(s.eventActor());
            out.add(new UndoneTransaction(tx, s.commitMicros(), actor, table, n));
          }
        });
    out.sort(java.util.Comparator.comparingLong(UndoneTransaction::commitMicros));
    return out;
  }

  /** Changes as stored, and those of them the reading thread decoded (the others are null). */
  private record Batch(Journal.StoredChanges stored, JournalEntry[] decoded, int weight) {}

  private static Batch batch(Journal.StoredChanges stored, boolean decodeHere, int weight) {
    JournalEntry[] decoded = new JournalEntry[stored.size()];
    if (decodeHere) {
      ChangeEvent previous = null;
      for (int i = 0; i < decoded.length; i++) {
        decoded[i] = stored.decode(i, previous);
        previous = decoded[i].event();
      }
    }
    return new Batch(stored, decoded, weight);
  }

  /** Changes handed from the reading thread to the reducing one at a time, and batches queued. */
  private static final int BATCH = 512;

  private static final int QUEUED_BATCHES = 16;

  /** At most this many bytes of changes are queued or being reduced (raw and decoded, about). */
  private static final int QUEUED_BYTES =
      (int) Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 16);

  /** Queues a batch for the reducer, unless it has stopped (failed: its error is reported). */
  /** Takes room for a batch of {@code weight} bytes, unless the reducer has stopped. */
  private static void hand(Semaphore room, int weight, Future<Void> reduce) {
    try {
      while (!room.tryAcquire(weight, 50, TimeUnit.MILLISECONDS)) {
        if (reduce.isDone()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while planning", e);
    }
  }

  private static void hand(BlockingQueue<Batch> queue, Batch batch, Future<Void> reduce) {
    try {
      while (!queue.offer(batch, 50, TimeUnit.MILLISECONDS)) {
        if (reduce.isDone()) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while planning", e);
    }
  }

  /** Above this many, a table's rows since a point are not counted on in advance. */
  private static final long MAX_PRESIZE = 1 << 20;

  /**
   * A row's first and last change since a point, by journal order, and what that makes of it: built
   * as each change is read, while its images are still in the CPU's cache.
   */
  private static final class RowSpan {
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;

    /** The transaction of each change since the point: one id, or a list of them. */
    private Object txs;

    void noteTx(String tx) {
      if (txs == null) {
        txs = tx;
      } else if (txs instanceof String one) {
        List<String> more = new ArrayList<>(2);
        more.add(one);
        more.add(tx);
        txs = more;
      } else {
        @SuppressWarnings("unchecked")
        List<String> more = (List<String>) txs;
        more.add(tx);
      }
    }

    void forEachTx(java.util.function.Consumer<String> visitor) {
      if (txs instanceof String one) {
        visitor.accept(one);
      } else if (txs != null) {
        @SuppressWarnings("unchecked")
        List<String> more = (List<String>) txs;
        more.forEach(visitor);
      }
    }

    /** The row's change, images and all; null once the plan spilled (read back from the seqs). */
    RowChange change;

    List<String> changed;
    String currentTx = "";
    boolean unchanged;
    boolean currentPresent;

    /** Its id when it was given early, or -1. */
    int given = -1;

    /** Given early, and changed again since. */
    boolean revised;

    /**
     * Takes in one more change of the row; returns the row's change when the first or last moved
     * (held only while the plan is held in memory), else null.
     */
    RowChange add(
        TableId table,
        RowKey key,
        JournalEntry e,
        Interner interner,
        PointColumns columns,
        Spill spill) {
      boolean firstMoved = e.seq() < first;
      boolean lastMoved = e.seq() > last;
      if (!firstMoved && !lastMoved) {
        return null;
      }
      Row target;
      Row current;
      if (firstMoved) {
        first = e.seq();
        target = columns.cut(e.event().before());
      } else {
        target = change != null ? change.target() : spill.target(first);
      }
      if (lastMoved) {
        last = e.seq();
        current = e.event().after();
        currentTx = interner.intern(e.event().txId());
      } else {
        current = change != null ? change.current() : spill.current(last);
      }
      changed = interner.changed(current, target);
      unchanged =
          (current == null && target == null)
              || (current != null && target != null && changed.isEmpty());
      currentPresent = current != null;
      RowChange c = new RowChange(table, key, current, target, changed, List.of(), currentTx);
      change = spill.on() ? null : c;
      if (change != null) {
        spill.hold(current, target);
      }
      return c;
    }

    void dropImages() {
      change = null;
    }
  }

  /**
   * Whether a whole-table plan still holds its rows' images, and how much they take: past a share
   * of the heap (a quarter, or {@code rowguard.plan.heldBytes}) they are dropped and read back from
   * the journal by sequence number, so that a plan of wide rows with large values fits any heap.
   */
  private static final class Spill {
    private static final long LIMIT =
        Long.getLong("rowguard.plan.heldBytes", Runtime.getRuntime().maxMemory() / 4);
    private final Journal journal;
    private final PointColumns columns;
    private long held;
    private boolean on;

    Spill(Journal journal, PointColumns columns) {
      this.journal = journal;
      this.columns = columns;
      this.on = LIMIT <= 0;
    }

    boolean on() {
      return on;
    }

    /** Counts the images a row holds now. */
    void hold(Row current, Row target) {
      held += estimate(current) + estimate(target);
    }

    /** True (once) when the images held pass the limit: spilling is on from now. */
    boolean passedLimit() {
      if (!on && held > LIMIT) {
        on = true;
        return true;
      }
      return false;
    }

    Row target(long seq) {
      return columns.cut(journal.entry(seq).event().before());
    }

    Row current(long seq) {
      return journal.entry(seq).event().after();
    }

    /** A row's change, from what it holds or read back. */
    RowChange change(TableId table, RowSpan span) {
      if (span.change != null) {
        return span.change;
      }
      JournalEntry f = journal.entry(span.first);
      JournalEntry l = span.first == span.last ? f : journal.entry(span.last);
      return new RowChange(
          table,
          l.event().key(),
          l.event().after(),
          columns.cut(f.event().before()),
          span.changed,
          List.of(),
          span.currentTx);
    }

    /** About what an image takes on the heap: its values, strings and byte arrays by length. */
    private static long estimate(Row r) {
      if (r == null) {
        return 0;
      }
      long n = 32 + 8L * r.size();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.get(i);
        if (v instanceof String str) {
          n += 48 + str.length();
        } else if (v instanceof byte[] b) {
          n += 16 + b.length;
        } else if (v != null) {
          n += 24;
        }
      }
      return n;
    }
  }

  /**
   * One copy of equal values that a large plan repeats per row (a mass write's transaction id and
   * changed columns): less to hold, less for the collector to copy.
   */
  private static final class Interner {
    private final Map<Object, Object> known = new HashMap<>();
    private TableSchema lastSchema;
    private long lastMask = -1;
    private List<String> lastChanged;

    /**
     * The columns that differ between two images, one list per distinct answer. (Equal strings of
     * the two images are one object already: the journal decodes them so.)
     */
    List<String> changed(Row current, Row target) {
      if (current == null
          || target == null
          || current.schema() != target.schema()
          || target.size() > Long.SIZE) {
        return intern(changedColumns(current, target));
      }
      long mask = 0;
      for (int i = 0; i < target.size(); i++) {
        Object c = current.get(i);
        if (c != target.get(i) && !Values.equal(c, target.get(i))) {
          mask |= 1L << i;
        }
      }
      if (target.schema() != lastSchema || mask != lastMask) {
        // a mass write changes the same columns of every row: the last answer is usually right
        List<String> names = new ArrayList<>();
        for (int i = 0; i < target.size(); i++) {
          if ((mask & (1L << i)) != 0) {
            names.add(target.schema().column(i).name());
          }
        }
        lastChanged = intern(names);
        lastSchema = target.schema();
        lastMask = mask;
      }
      return lastChanged;
    }

    String intern(String s) {
      return (String) known.computeIfAbsent(s, k -> k);
    }

    List<String> intern(List<String> list) {
      @SuppressWarnings("unchecked")
      List<String> one = (List<String>) known.get(list); // lists are equal by their elements
      if (one == null) {
        one = List.copyOf(list);
        known.put(one, one);
      }
      return one;
    }
  }

  /**
   * Undoes one transaction's changes in every table it touched, row by row ({@link
   * Granularity#ROW}). Later transactions that changed the same rows are dependents; with {@code
   * cascade} they are backed out too (and theirs, until no later writer is left), otherwise each
   * affected row lists them.
   */
  public RollbackPlan backout(String txId, boolean cascade) {
    return backout(List.of(txId), Granularity.ROW, ConflictPolicy.ABORT, cascade);
  }

  /**
   * Undoes the listed transactions' changes in every table they touched, composed in journal order:
   * the result is what the database would hold had they never run, with later work kept.
   *
   * <p>{@link Granularity#CELL}: a value a listed transaction changed goes back unless a later
   * transaction changed it too; that, a row a listed transaction inserted and a later one changed,
   * and a key a listed transaction deleted and a later one used again, are conflicts, settled by
   * {@code policy}: {@code SKIP} keeps the later work, {@code OVERWRITE} puts the earlier state
   * back, and {@code ABORT} plans the earlier state with the later transactions as the row's
   * dependents, which makes applying it a conflict. Values only later transactions changed are
   * never touched. {@link Granularity#ROW}: each row back, whole, to its state before the first
   * listed change of it; its later writers are dependents.
   *
   * @param cascade back out the later writers of the rows too, and theirs, until none is left
   */
  public RollbackPlan backout(
      List<String> txIds, Granularity granularity, ConflictPolicy policy, boolean cascade) {
    Set<String> backedOut = new LinkedHashSet<>();
    // each row the backed-out transactions changed, with those changes
    Map<RowId, List<JournalEntry>> touched = new LinkedHashMap<>();
    // each backed-out transaction's entries, read once
    Map<String, List<JournalEntry>> entriesOf = new LinkedHashMap<>();
    List<JournalEntry> frontier = new ArrayList<>();
    for (String txId : txIds) {
      if (backedOut.add(txId)) {
        entriesOf.put(txId, transaction(txId));
        frontier.addAll(entriesOf.get(txId));
      }
    }
    Set<String> asked = new LinkedHashSet<>(backedOut);
    while (!frontier.isEmpty()) {
      List<JournalEntry> next = new ArrayList<>();
      for (JournalEntry e : frontier) {
        RowId row = new RowId(e.event().table(), e.event().key());
        touched.computeIfAbsent(row, r -> new ArrayList<>(1)).add(e);
        if (cascade) {
          for (JournalEntry later : journal.history(row.table(), row.key())) {
            if (later.seq() > e.seq() && backedOut.add(later.event().txId())) {
              entriesOf.put(later.event().txId(), journal.transaction(later.event().txId()));
              next.addAll(entriesOf.get(later.event().txId()));
            }
          }
        }
      }
      frontier = next;
    }
    for (List<JournalEntry> ofRow : touched.values()) {
      if (ofRow.size() > 1) {
        ofRow.sort(java.util.Comparator.comparingLong(JournalEntry::seq));
      }
    }
    CellBackout cells = new CellBackout(backedOut, policy);
    List<RowChange> changes = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    List<RowChange> settled = new ArrayList<>();
    int conflicts = 0;
    int unchanged = 0;
    try (BackoutHistories histories =
        granularity == Granularity.CELL ? new BackoutHistories(journal, touched) : null) {
      for (Map.Entry<RowId, List<JournalEntry>> row : touched.entrySet()) {
        long first = row.getValue().get(0).seq();
        TableId table = row.getKey().table();
        RowKey key = row.getKey().key();
        // value by value, a row's history matters from the first listed change on
        List<JournalEntry> history =
            histories != null
                ? histories.of(row.getKey(), row.getValue())
                : journal.history(table, key);
        RowChange c;
        if (granularity == Granularity.ROW) {
          List<String> dependents =
              history.stream()
                  .filter(e -> e.seq() > first && !backedOut.contains(e.event().txId()))
                  .map(e -> e.event().txId())
                  .distinct()
                  .toList();
          c = change(table, key, history, e -> e.seq() < first, dependents, null);
        } else {
          CellBackout.Outcome o = cells.compose(history);
          Row current = history.get(history.size() - 1).event().after();
          String conflict = String.join("; ", o.conflicts());
          if (!o.conflicts().isEmpty() && policy != ConflictPolicy.ABORT) {
            if (conflicts++ < 20) {
              warnings.add(
                  table
                      + " key "
                      + key
                      + ": "
                      + conflict
                      + (policy == ConflictPolicy.SKIP
                          ? " (the later work is kept)"
                          : " (the earlier state is put back)"));
            }
          }
          List<String> changed = changedColumns(current, o.target());
          c =
              (current == null && o.target() == null)
                      || (current != null && o.target() != null && changed.isEmpty())
                  ? null
                  : new RowChange(
                      table,
                      key,
                      current,
                      o.target(),
                      changed,
                      policy == ConflictPolicy.ABORT ? List.copyOf(o.laterTxs()) : List.of(),
                      history.get(history.size() - 1).event().txId(),
                      policy == ConflictPolicy.ABORT ? conflict : "");
        }
        if (c == null) {
          unchanged++;
          settled(table, key, history).ifPresent(settled::add);
        } else {
          changes.add(c);
        }
      }
    }
    if (conflicts > 20) {
      warnings.add("… and " + (conflicts - 20) + " more row(s) with conflicts");
    }
    String what =
        (backedOut.size() == 1 ? "backout of transaction " : "backout of transactions ")
            + String.join(", ", asked)
            + (backedOut.size() > asked.size()
                ? " and their dependents "
                    + String.join(", ", backedOut.stream().filter(t -> !asked.contains(t)).toList())
                : "")
            + (granularity == Granularity.ROW ? ", row by row" : ", value by value");
    RollbackPlan plan = plan(what, changes, unchanged);
    List<UndoneTransaction> undone = new ArrayList<>();
    for (String tx : backedOut) {
      Map<TableId, Integer> perTable = new LinkedHashMap<>();
      List<JournalEntry> entries = entriesOf.get(tx);
      entries.forEach(e -> perTable.merge(e.event().table(), 1, Integer::sum));
      JournalEntry first = entries.get(0);
      String actor = journal.who(first).actor();
      perTable.forEach(
          (table, n) ->
              undone.add(new UndoneTransaction(tx, first.event().commitMicros(), actor, table, n)));
    }
    return new RollbackPlan(plan.id(), what, plan.changes(), unchanged, warnings, undone, settled);
  }

  /**
   * A row found at its target already, as the journal has it now: checked again when the plan is
   * applied. Empty when the journal has it deleted.
   */
  private static java.util.Optional<RowChange> settled(
      TableId table, RowKey key, List<JournalEntry> history) {
    JournalEntry last = history.get(history.size() - 1);
    Row current = last.event().after();
    return current == null
        ? java.util.Optional.empty()
        : java.util.Optional.of(
            new RowChange(table, key, current, current, List.of(), List.of(), last.event().txId()));
  }

  /**
   * Which transactions a backout by selection takes: those committed in [{@code sinceMicros},
   * {@code untilMicros}) with a change attributed to {@code actor} (or, when {@code unattributed},
   * attributed to nobody) in one of {@code tables} (empty: any), oldest first.
   */
  public List<String> select(
      String actor, boolean unattributed, long sinceMicros, long untilMicros, Set<TableId> tables) {
    Set<String> out = new LinkedHashSet<>();
    // commit order and time order agree up to a few concurrent commits: start a little before
    long from = Math.max(1, journal.seqAtTime(sinceMicros) - 1_000);
    journal.scan(
        from,
        e -> {
          long t = e.event().commitMicros();
          if (t >= untilMicros + 5_000_000L) {
            return false;
          }
          if (t < sinceMicros || t >= untilMicros) {
            return true;
          }
          if (!tables.isEmpty() && !tables.contains(e.event().table())) {
            return true;
          }
          io.rowguard.core.Attribution a = journal.who(e);
          if (unattributed ? !a.isAttributed() : actor.equals(a.actor())) {
            out.add(e.event().txId());
          }
          return true;
        });
    if (out.isEmpty()) {
      throw new InputException(
          "no transaction "
              + (unattributed ? "attributed to nobody" : "by " + actor)
              + (tables.isEmpty() ? "" : " writing " + tables)
              + " committed between "
              + ValueFormat.instant(sinceMicros)
              + " and "
              + ValueFormat.instant(untilMicros)
              + " (`rowguard audit` lists who wrote what)");
    }
    return List.copyOf(out);
  }

  /** A row as the journal's row index knows it: by its key's values, whatever the key's names. */
  record RowId(TableId table, RowKey key) {
    @Override
    public boolean equals(Object o) {
      return o instanceof RowId r && table.equals(r.table) && key.sameRow(r.key);
    }

    @Override
    public int hashCode() {
      return 31 * table.hashCode() + key.rowHash();
    }
  }

  /**
   * The transactions after {@code bound} that changed rows of {@code changes}: the work a rollback
   * undoes, oldest first.
   */
  private List<UndoneTransaction> undone(TableId table, Bound bound, List<RowChange> changes) {
    if (changes.isEmpty()) {
      return List.of();
    }
    Set<RowKey> keys = new java.util.HashSet<>();
    changes.forEach(c -> keys.add(c.key()));
    Map<String, UndoneTransaction> out = new LinkedHashMap<>();
    journal.forEachOfTable(
        table,
        bound.fromMicros() - 1,
        Long.MAX_VALUE,
        false,
        Long.MAX_VALUE,
        e -> {
          if (!bound.before().test(e) && keys.contains(e.event().key())) {
            UndoneTransaction was = out.get(e.event().txId());
            out.put(
                e.event().txId(),
                was == null
                    ? new UndoneTransaction(
                        e.event().txId(),
                        e.event().commitMicros(),
                        journal.who(e).actor(),
                        table,
                        1)
                    : new UndoneTransaction(
                        was.txId(), was.commitMicros(), was.actor(), table, was.changes() + 1));
          }
          return true;
        });
    return out.values().stream()
        .sorted(java.util.Comparator.comparingLong(UndoneTransaction::commitMicros))
        .toList();
  }

  private RowChange change(
      TableId table,
      RowKey key,
      List<JournalEntry> history,
      Predicate<JournalEntry> before,
      List<String> dependents,
      PointColumns columns) {
    JournalEntry last = history.get(history.size() - 1);
    Row current = last.event().after();
    // the row's state at the point: after its last change then, or else before its first change
    // since (none for an insert), as the table planner has it
    Row target = null;
    boolean any = false;
    for (JournalEntry e : history) {
      if (before.test(e)) {
        target = e.event().after();
        any = true;
      }
    }
    if (!any) {
      target = history.get(0).event().before();
    }
    if (columns != null) {
      target = columns.cut(target);
    }
    List<String> changed = changedColumns(current, target);
    if (current == null && target == null
        || (current != null && target != null && changed.isEmpty())) {
      return null;
    }
    return new RowChange(table, key, current, target, changed, dependents, last.event().txId());
  }

  /**
   * The columns (by the target image's names) whose values a plan puts back. Across a schema change
   * a target column is matched to the same column of the current image (by its number, so a rename
   * is followed); a column dropped since has nothing to put back into, and a column added since is
   * not the target's: neither makes a row differ. Without one of the images, every column differs.
   */
  static List<String> changedColumns(Row current, Row target) {
    List<String> out = new ArrayList<>();
    Row any = target != null ? target : current;
    if (any == null) {
      return out;
    }
    if (current != null && target != null && current.schema() == target.schema()) {
      for (int i = 0; i < current.size(); i++) { // one schema: the same column at the same index
        if (!io.rowguard.core.Values.equal(current.get(i), target.get(i))) {
          out.add(current.schema().column(i).name());
        }
      }
      return out;
    }
    for (int i = 0; i < any.size(); i++) {
      io.rowguard.core.Column column = any.schema().column(i);
      if (current == null || target == null) {
        out.add(column.name());
        continue;
      }
      int j = current.schema().indexOfSame(column);
      if (j >= 0 && !sameAcrossTypes(current.schema().column(j), current.get(j), target.get(i))) {
        out.add(column.name());
      }
    }
    return out;
  }

  /**
   * Two values of one column across a change of its type: equal as {@link
   * io.rowguard.core.Values#equal}, or, for a decimal column whose scale changed ({@code 1.5} and
   * {@code 1.50}), equal as numbers.
   */
  private static boolean sameAcrossTypes(io.rowguard.core.Column column, Object a, Object b) {
    if (io.rowguard.core.Values.equal(a, b)) {
      return true;
    }
    if (a instanceof String x
        && b instanceof String y
        && (column.schema().sourceType().equalsIgnoreCase("numeric")
            || "org.apache.kafka.connect.data.Decimal".equals(column.schema().logicalName()))) {
      try {
        return new java.math.BigDecimal(x).compareTo(new java.math.BigDecimal(y)) == 0;
      } catch (NumberFormatException e) {
        return false; // NaN, Infinity: equal only as text
      }
    }
    return false;
  }

  private List<JournalEntry> transaction(String txId) {
    List<JournalEntry> entries = journal.transaction(txId);
    if (entries.isEmpty()) {
      throw new InputException(
          "unknown transaction "
              + txId
              + ": the journal has no change of it (transaction ids are"
              + " shown by `rowguard history` and `rowguard audit`)"
              + journal.retentionCut().stream()
                  .mapToObj(
                      cut ->
                          "; changes committed before "
                              + ValueFormat.instant(cut)
                              + " were pruned by journal.retention")
                  .findFirst()
                  .orElse(""));
    }
    return entries;
  }

  /**
   * Checks a point against the journal, as planning does first: an {@link InputException} when the
   * journal can't say what rows looked like then (before its first entry or retention cut, in a
   * gap, in the future, an unknown transaction).
   */
  public void check(TableId table, PointInTime point) {
    bound(point, table);
  }

  /** A point as the entries at or before it, and the earliest commit time of an entry after it. */
  private record Bound(Predicate<JournalEntry> before, long fromMicros) {}

  private Predicate<JournalEntry> resolve(PointInTime point, TableId table) {
    return bound(point, table).before();
  }

  private Bound bound(PointInTime point, TableId table) {
    if (point instanceof PointInTime.BeforeTx tx) {
      JournalEntry first = transaction(tx.txId()).get(0);
      return new Bound(e -> e.seq() < first.seq(), first.event().commitMicros());
    }
    long micros = ((PointInTime.At) point).micros();
    checkTime(journal, clock, micros, table);
    checkSecond(journal, micros, table);
    return new Bound(e -> e.event().commitMicros() <= micros, micros + 1);
  }

  /**
   * MariaDB's binlog dates commits to the second: a transaction journaled at second S committed
   * somewhere in [S, S+1). A time inside a second in which {@code table} changed so can't say
   * whether those changes came before or after it: refused, naming the transactions, for the caller
   * to choose with {@code --before-tx}. Never guessed. MySQL 8.0.1 and later date a commit to the
   * microsecond (its GTID event's commit timestamp): a commit time with a fraction of a second is
   * exact and orders by itself.
   */
  static void checkSecond(Journal journal, long micros, TableId table) {
    String connector = journal.binding().map(b -> b.connector()).orElse("");
    if (!connector.equals("mysql") && !connector.equals("mariadb")) {
      return;
    }
    long second = Math.floorDiv(micros, 1_000_000L) * 1_000_000L;
    Set<String> txs = new LinkedHashSet<>();
    for (JournalEntry e : journal.tableChanges(table, second, second + 1_000_000L)) {
      if (e.event().op() != io.rowguard.core.Op.READ && e.event().commitMicros() == second) {
        txs.add(e.event().txId());
      }
    }
    if (!txs.isEmpty()) {
      throw new InputException(
          ValueFormat.instant(micros)
              + " falls within the second "
              + ValueFormat.instant(second)
              + " in which "
              + table
              + " was changed by transaction(s) "
              + String.join(", ", txs)
              + "; the binlog dates commits to the second, so whether they came before or after"
              + " the time is unknown: roll back to just before one of them with --before-tx TX,"
              + " or pick a time outside that second");
    }
  }

  /**
   * A target time must lie inside the journal: after its first entry, outside every gap in which
   * changes of {@code table} were lost, and not in the future.
   */
  static void checkTime(Journal journal, Clock clock, long micros, TableId table) {
    JournalStatus status = journal.status();
    if (status.firstCommitMicros().isEmpty()) {
      throw new InputException("the journal is empty: there is nothing to roll back to yet");
    }
    long first = status.firstCommitMicros().getAsLong();
    if (status.retentionCut().isPresent() && micros < status.retentionCut().getAsLong()) {
      throw new InputException(
          ValueFormat.instant(micros)
              + " is before the journal's retention cut: entries committed earlier were pruned"
              + " (journal.retention); the earliest time available is "
              + ValueFormat.instant(Math.max(first, status.retentionCut().getAsLong())));
    }
    if (micros < first) {
      throw new InputException(
          ValueFormat.instant(micros)
              + " is before the journal's first entry; the earliest time"
              + " available is "
              + ValueFormat.instant(first));
    }
    for (Gap gap : journal.gaps()) {
      if (gap.changesLost() && gap.concerns(table) && gap.covers(micros)) {
        throw new InputException(
            ValueFormat.instant(micros)
                + " falls in a gap of the journal, between "
                + (gap.fromMicros() == 0 ? "its beginning" : ValueFormat.instant(gap.fromMicros()))
                + " and "
                + (gap.isOpen() ? "now" : ValueFormat.instant(gap.toMicros()))
                + " ("
                + gap.reason()
                + "): row states then are unknown; pick a time outside it");
      }
    }
    long now = clock.millis() * 1000L;
    if (micros > now) {
      throw new InputException(
          ValueFormat.instant(micros)
              + " is in the future (now it is "
              + ValueFormat.instant(now)
              + ")");
    }
  }

  private static String describe(PointInTime point) {
    return point instanceof PointInTime.BeforeTx tx
        ? "before transaction " + tx.txId()
        : ValueFormat.instant(((PointInTime.At) point).micros());
  }

  /**
   * Refuses a plan that would need values the journal does not know ({@link Row#MISSING}: the log
   * left them out while a table lacked REPLICA IDENTITY FULL, with no earlier version to take them
   * from): to write them back, or to check the live row against them.
   */
  private static void refuseUnknown(List<RowChange> changes) {
    List<String> rows = new ArrayList<>();
    int count = 0;
    for (RowChange c : changes) {
      Row unknown =
          c.target() != null && c.target().hasMissing()
              ? c.target()
              : c.current() != null && c.current().hasMissing() ? c.current() : null;
      if (unknown == null) {
        continue;
      }
      if (count++ < 10) {
        rows.add(
            c.table()
                + " key "
                + c.key()
                + " ("
                + String.join(", ", unknown.missingColumns())
                + (unknown == c.target() ? " at the target moment" : " now")
                + ")");
      }
    }
    if (count > 0) {
      throw new InputException(
          count
              + " row(s) of the plan have values the journal does not know (the log left them out"
              + " while the table lacked REPLICA IDENTITY FULL, and the journal had no earlier"
              + " version): "
              + String.join("; ", rows)
              + (count > rows.size() ? "; …" : "")
              + "; leave them out with --key, or restore them by hand");
    }
  }

  private static RollbackPlan plan(String description, List<RowChange> changes, int unchanged) {
    refuseUnknown(changes);
    List<String> warnings = new ArrayList<>();
    return new RollbackPlan(
        UUID.randomUUID().toString(), description, changes, unchanged, warnings);
  }
}
