package io.rowguard.replay;

import io.rowguard.core.TableId;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a rollback or backout would do: per row its current and target state. Building a plan never
 * touches the database; {@link PlanApplier} applies it.
 *
 * @param id the plan's id, recorded with the rollback's own writes
 * @param description what was asked, for people (e.g. "rollback public.orders to 2026-…")
 * @param changes the rows to write, in journal order
 * @param unchanged rows asked for that already have their target state
 * @param warnings values that cannot be restored (a column dropped since), and the like
 * @param undone (rollbacks) the later transactions whose changes of the plan's rows it undoes,
 *     oldest first
 * @param settled the rows of {@code unchanged} that exist: the journal has them at their target
 *     already. Applying the plan checks them against the live database like every other row (a
 *     write the journal had not seen when planning is a conflict), and locks them
 */
public record RollbackPlan(
    String id,
    String description,
    List<RowChange> changes,
    int unchanged,
    List<String> warnings,
    List<UndoneTransaction> undone,
    List<RowChange> settled) {

  public RollbackPlan {
    // a spilled plan's rows are read back from the journal when asked for: never copied
    changes = changes instanceof ReadBack ? changes : List.copyOf(changes);
    warnings = List.copyOf(warnings);
    undone = List.copyOf(undone);
    settled = settled instanceof ReadBack ? settled : List.copyOf(settled);
  }

  public RollbackPlan(
      String id,
      String description,
      List<RowChange> changes,
      int unchanged,
      List<String> warnings,
      List<UndoneTransaction> undone) {
    this(id, description, changes, unchanged, warnings, undone, List.of());
  }

  /** A plan that names no transaction it undoes (a backout names them in its description). */
  public RollbackPlan(
      String id,
      String description,
      List<RowChange> changes,
      int unchanged,
      List<String> warnings) {
    this(id, description, changes, unchanged, warnings, List.of());
  }

  /** The same plan, naming the transactions it undoes. */
  public RollbackPlan undoing(List<UndoneTransaction> transactions) {
    return new RollbackPlan(id, description, changes, unchanged, warnings, transactions, settled);
  }

  /** The same plan, saying more (what the database would do beyond its rows, say). */
  public RollbackPlan warning(List<String> more) {
    List<String> all = new ArrayList<>(warnings);
    all.addAll(more);
    return new RollbackPlan(id, description, changes, unchanged, all, undone, settled);
  }

  /** The same plan, with the rows it found at their target already. */
  public RollbackPlan settling(List<RowChange> rows) {
    return new RollbackPlan(id, description, changes, unchanged, warnings, undone, rows);
  }

  /** The same plan with more rows to write (settled rows a concurrent write moved, overwritten). */
  public RollbackPlan withChanges(List<RowChange> more) {
    List<RowChange> all;
    if (changes instanceof ReadBack rows) {
      all = ReadBack.joined(rows, more);
    } else {
      all = new ArrayList<>(changes);
      all.addAll(more);
    }
    return new RollbackPlan(id, description, all, unchanged, warnings, undone, List.of());
  }

  /** {@link #changes} by table, in the order tables first appear; a spilled plan's not copied. */
  public Map<TableId, List<RowChange>> changesByTable() {
    return byTable(changes);
  }

  /** {@link #settled} by table, as {@link #changesByTable}. */
  public Map<TableId, List<RowChange>> settledByTable() {
    return byTable(settled);
  }

  private static Map<TableId, List<RowChange>> byTable(List<RowChange> rows) {
    if (rows instanceof ReadBack spilled) {
      // one table's rows, read back as they are walked
      return spilled.isEmpty() ? Map.of() : Map.of(spilled.table(), spilled);
    }
    Map<TableId, List<RowChange>> byTable = new LinkedHashMap<>();
    for (RowChange c : rows) {
      byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
    }
    return byTable;
  }

  public Map<Action, Integer> counts() {
    Map<Action, Integer> counts = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      counts.put(a, 0);
    }
    for (RowChange c : changes) {
      counts.merge(c.action(), 1, Integer::sum);
    }
    return counts;
  }

  /** Transactions that would be overwritten: later writers of rows a backout touches. */
  public List<String> dependents() {
    return changes.stream().flatMap(c -> c.dependents().stream()).distinct().sorted().toList();
  }
}
