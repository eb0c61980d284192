package io.rowguard.replay;

import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The columns a table had at a point in time, as the journal's last change of the table at or
 * before it shows them, and images cut down to those columns.
 *
 * <p>A whole-table plan takes a row's target from the before image of its first change since the
 * point; when that change came after a column was added, its image has the column too. Cut down,
 * every target has the columns of the point only, whichever way it was found: a column added since
 * keeps its current value on a row that exists at both times, and a row put back gets the column's
 * default, in the row and the whole-table plans alike.
 */
final class PointColumns {
  private final TableSchema atPoint;
  private final Map<TableSchema, int[]> cuts = new IdentityHashMap<>();
  private final Map<TableSchema, TableSchema> cutSchemas = new IdentityHashMap<>();

  private PointColumns(TableSchema atPoint) {
    this.atPoint = atPoint;
  }

  /** The table's columns at the point: those of its last change at or before it. */
  static PointColumns of(
      Journal journal, TableId table, Predicate<JournalEntry> before, long fromMicros) {
    TableSchema[] found = {null};
    journal.forEachOfTable(
        table,
        Long.MIN_VALUE / 2,
        fromMicros + 1,
        true,
        Long.MAX_VALUE,
        e -> {
          if (!before.test(e)) {
            return true;
          }
          Row image = e.event().after() != null ? e.event().after() : e.event().before();
          found[0] = image == null ? null : image.schema();
          return found[0] == null;
        });
    return new PointColumns(found[0]);
  }

  /**
   * The image with only the columns the table had at the point; the image itself if it has no more.
   */
  synchronized Row cut(Row image) {
    if (image == null || atPoint == null || image.schema() == atPoint) {
      return image;
    }
    int[] keep = cuts.computeIfAbsent(image.schema(), this::kept);
    if (keep.length == image.size()) {
      return image;
    }
    Object[] values = new Object[keep.length];
    for (int i = 0; i < keep.length; i++) {
      values[i] = image.get(keep[i]);
    }
    return Row.of(cutSchemas.get(image.schema()), values);
  }

  /** The positions of the image schema's columns that the point's schema has. */
  private int[] kept(TableSchema schema) {
    List<Integer> keep = new ArrayList<>();
    for (int i = 0; i < schema.size(); i++) {
      boolean key = schema.keyColumns().contains(schema.column(i).name());
      if (key || atPoint.indexOfSame(schema.column(i)) >= 0) {
        keep.add(i);
      }
    }
    int[] out = keep.stream().mapToInt(Integer::intValue).toArray();
    if (out.length < schema.size()) {
      List<io.rowguard.core.Column> columns = new ArrayList<>();
      for (int i : out) {
        columns.add(schema.column(i));
      }
      cutSchemas.put(schema, new TableSchema(schema.table(), columns, schema.keyColumns()));
    }
    return out;
  }
}
