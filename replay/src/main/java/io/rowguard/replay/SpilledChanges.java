package io.rowguard.replay;

import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;

/**
 * The rows of a whole-table plan too large to hold as images: per row only the sequence numbers of
 * its first and last change since the point, what differs, and who wrote its current state. Each
 * row's images are read back from the journal when the row is asked for, so a plan of any size
 * takes a few dozen bytes per row; the journal must stay open while the plan is used.
 */
final class SpilledChanges extends AbstractList<RowChange> implements ReadBack {
  private final Journal journal;
  private final TableId table;
  private final PointColumns columns;
  private long[] first = new long[1024];
  private long[] last = new long[1024];
  private Object[] changed = new Object[1024];
  private String[] currentTx = new String[1024];
  private int size;

  SpilledChanges(Journal journal, TableId table, PointColumns columns) {
    this.journal = journal;
    this.table = table;
    this.columns = columns;
  }

  @Override
  public TableId table() {
    return table;
  }

  void add(long firstSeq, long lastSeq, List<String> changedColumns, String tx) {
    if (size == first.length) {
      int n = size * 2;
      first = Arrays.copyOf(first, n);
      last = Arrays.copyOf(last, n);
      changed = Arrays.copyOf(changed, n);
      currentTx = Arrays.copyOf(currentTx, n);
    }
    first[size] = firstSeq;
    last[size] = lastSeq;
    changed[size] = changedColumns;
    currentTx[size] = tx;
    size++;
  }

  @Override
  @SuppressWarnings("unchecked")
  public RowChange get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    JournalEntry f = journal.entry(first[i]);
    JournalEntry l = first[i] == last[i] ? f : journal.entry(last[i]);
    return new RowChange(
        table,
        l.event().key(),
        l.event().after(),
        columns.cut(f.event().before()),
        (List<String>) changed[i],
        List.of(),
        currentTx[i]);
  }

  @Override
  public int size() {
    return size;
  }
}
