package io.rowguard.replay;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One row's history with some transactions taken out, value by value: what the row would hold had
 * they never run, with the work of every other transaction kept.
 *
 * <p>The row starts from its state just before the first change of a listed transaction; each later
 * change of another transaction is then played onto it as what it changed (the values that differ
 * between its images), and the listed transactions' changes are left out. Where a later transaction
 * changed a value a listed one had changed, or changed a row a listed one had inserted, or used
 * again the key of a row a listed one had deleted, the two collide: a conflict, resolved as the
 * policy says ({@link ConflictPolicy#SKIP} keeps the later work, {@link ConflictPolicy#OVERWRITE}
 * the earlier state; {@link ConflictPolicy#ABORT} reports it and shows the earlier state). A later
 * transaction that put back exactly what a listed one had changed (an earlier undo) agrees with the
 * backout and collides with nothing, so backing the same transactions out twice plans nothing the
 * second time.
 */
final class CellBackout {
  private final Set<String> listed;
  private final ConflictPolicy policy;

  /** The outcome for one row: its target (null: absent), and what collided. */
  record Outcome(Row target, List<String> conflicts, Set<String> laterTxs) {}

  CellBackout(Set<String> listed, ConflictPolicy policy) {
    this.listed = listed;
    this.policy = policy;
  }

  /** The row's target; null when no listed transaction changed it. */
  Outcome compose(List<JournalEntry> history) {
    int first = -1;
    for (int i = 0; i < history.size() && first < 0; i++) {
      if (listed.contains(history.get(i).event().txId())) {
        first = i;
      }
    }
    if (first < 0) {
      return null;
    }
    Row row = history.get(first).event().before();
    // values the listed transactions changed, by column, and which one changed each last
    Map<String, String> changedBy = new LinkedHashMap<>();
    String existenceBy = null; // a listed transaction that inserted or deleted the row
    boolean frozen = false; // a collision settled for the earlier state: later work is not played
    List<String> conflicts = new ArrayList<>();
    Set<String> later = new LinkedHashSet<>();
    Row previous = row;
    for (int i = first; i < history.size(); i++) {
      ChangeEvent e = history.get(i).event();
      Row was = previous;
      previous = e.after();
      String tx = e.txId();
      if (listed.contains(tx)) {
        if (e.op() == Op.UPDATE) {
          for (String column : e.changedColumns()) {
            changedBy.put(column, tx);
          }
        } else {
          existenceBy = tx;
        }
        continue;
      }
      if (frozen) {
        continue;
      }
      if (e.op().removesRow()) {
        row = null; // a later delete stands
        continue;
      }
      boolean insert = e.op() == Op.INSERT || (e.op() == Op.READ && was == null);
      // an update (or a snapshot's new reading) by another transaction: what it changed
      List<String> columns =
          insert ? List.of() : e.op() == Op.UPDATE ? e.changedColumns() : differing(was, e.after());
      String collision = null;
      if (insert && (row == null || sameValues(row, e.after()))) {
        // a new row, or the very row a listed transaction deleted put back (an earlier undo)
        row = e.after();
        existenceBy = null;
        continue;
      } else if (insert) {
        collision =
            "deleted by transaction " + existenceBy + ", its key used again by transaction " + tx;
      } else if (row == null) {
        collision =
            "inserted by transaction "
                + existenceBy
                + ", changed later by transaction "
                + tx
                + " ("
                + String.join(", ", columns)
                + ")";
      }
      if (collision != null) {
        later.add(tx);
        conflicts.add(collision);
        if (policy == ConflictPolicy.SKIP) {
          row = e.after(); // the later work stands, whole
          existenceBy = null;
          changedBy.clear();
        } else {
          frozen = true; // the earlier state stands, whole
        }
        continue;
      }
      row = onto(row, e.schema(), e.after());
      for (String column : columns) {
        int at = row.schema().indexOf(column);
        String by = changedBy.get(column);
        if (by != null && io.rowguard.core.Values.equal(row.get(at), e.after().get(at))) {
          changedBy.remove(
              column); // the later transaction put the earlier value back: no collision
          continue;
        }
        if (by != null) {
          later.add(tx);
          conflicts.add(column + ": changed by transaction " + by + ", later by transaction " + tx);
          if (policy != ConflictPolicy.SKIP) {
            continue; // the earlier value stays
          }
          changedBy.remove(column);
        }
        row = row.with(at, e.after().get(at));
      }
    }
    return new Outcome(row, conflicts, later);
  }

  private static boolean sameValues(Row a, Row b) {
    return differing(a, b).isEmpty() && a.size() == b.size();
  }

  /** The columns whose values differ between two images of one schema (all if either is null). */
  private static List<String> differing(Row a, Row b) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < b.size(); i++) {
      String column = b.schema().column(i).name();
      int j = a == null ? -1 : a.schema().indexOf(column);
      if (j < 0 || !io.rowguard.core.Values.equal(a.get(j), b.get(i))) {
        out.add(column);
      }
    }
    return out;
  }

  /**
   * {@code row} in {@code schema}: its values by column name, and for a column it lacks (added
   * since) the value {@code fallback} has.
   */
  private static Row onto(Row row, TableSchema schema, Row fallback) {
    if (row.schema() == schema || row.schema().equals(schema)) {
      return row;
    }
    Object[] values = new Object[schema.size()];
    for (int i = 0; i < values.length; i++) {
      int j = row.schema().indexOf(schema.column(i).name());
      values[i] = j >= 0 ? row.get(j) : fallback.get(i);
    }
    return Row.of(schema, values);
  }
}
