package io.rowguard.replay;

import io.rowguard.core.TableId;
import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * A plan's rows of one table that are read back from the journal when asked for, so a plan of any
 * size fits the heap: never copied whole, only walked.
 */
interface ReadBack extends List<RowChange>, RandomAccess {
  TableId table();

  /** These rows with a few more after them. */
  static ReadBack joined(ReadBack rows, List<RowChange> more) {
    final class Joined extends AbstractList<RowChange> implements ReadBack {
      @Override
      public RowChange get(int i) {
        return i < rows.size() ? rows.get(i) : more.get(i - rows.size());
      }

      @Override
      public int size() {
        return rows.size() + more.size();
      }

      @Override
      public TableId table() {
        return rows.table();
      }
    }
    return new Joined();
  }
}
