package io.rowguard.replay;

import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import java.util.List;

/**
 * One row of a plan.
 *
 * @param table the row's table
 * @param key its primary key
 * @param current the row as the journal says it is now; null when the journal has it deleted
 * @param target the row as it should be; null when it should not exist
 * @param changedColumns the columns that differ between current and target
 * @param dependents later transactions that changed the row (backout only): backing out without
 *     them would overwrite their writes
 * @param currentTx the transaction that wrote {@code current}, as the journal has it; empty when
 *     unknown
 * @param conflict what the later transactions did that a backout would undo (which values, by which
 *     transaction), for people; empty when nothing
 */
public record RowChange(
    TableId table,
    RowKey key,
    Row current,
    Row target,
    List<String> changedColumns,
    List<String> dependents,
    String currentTx,
    String conflict) {

  public RowChange {
    changedColumns = List.copyOf(changedColumns);
    dependents = List.copyOf(dependents);
    currentTx = currentTx == null ? "" : currentTx;
    conflict = conflict == null ? "" : conflict;
  }

  /** A row with no conflict to report. */
  public RowChange(
      TableId table,
      RowKey key,
      Row current,
      Row target,
      List<String> changedColumns,
      List<String> dependents,
      String currentTx) {
    this(table, key, current, target, changedColumns, dependents, currentTx, "");
  }

  public Action action() {
    return target == null ? Action.DELETE : current == null ? Action.INSERT : Action.UPDATE;
  }

  /** The schema of the row's newest known image. */
  public TableSchema schema() {
    return current != null ? current.schema() : target.schema();
  }
}
