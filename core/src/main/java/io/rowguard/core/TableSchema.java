package io.rowguard.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The columns of a table as the log described them at one moment, and which of them form the
 * primary key. A table has a new {@code TableSchema} whenever a column is added, dropped or changes
 * type.
 */
public final class TableSchema {
  private final TableId table;
  private final List<Column> columns;
  private final List<String> keyColumns;
  private final Map<String, Integer> positions;
  private final int[] keyPositions;

  /** Positions by column number; null unless every column has its number. */
  private final Map<Integer, Integer> numbered;

  public TableSchema(TableId table, List<Column> columns, List<String> keyColumns) {
    this.table = Objects.requireNonNull(table, "table");
    this.columns = List.copyOf(columns);
    this.keyColumns = List.copyOf(keyColumns);
    this.positions = new HashMap<>();
    for (int i = 0; i < this.columns.size(); i++) {
      if (positions.put(this.columns.get(i).name(), i) != null) {
        throw new IllegalArgumentException(
            "table " + table + " has column " + this.columns.get(i).name() + " twice");
      }
    }
    if (this.keyColumns.isEmpty()) {
      throw new IllegalArgumentException("table " + table + " has no primary key columns");
    }
    Map<Integer, Integer> byNumber = new HashMap<>();
    for (int i = 0; i < this.columns.size() && byNumber != null; i++) {
      int number = this.columns.get(i).number();
      byNumber = number > 0 && byNumber.put(number, i) == null ? byNumber : null;
    }
    this.numbered = byNumber;
    this.keyPositions = new int[this.keyColumns.size()];
    for (int i = 0; i < keyPositions.length; i++) {
      Integer p = positions.get(this.keyColumns.get(i));
      if (p == null) {
        throw new IllegalArgumentException(
            "key column " + this.keyColumns.get(i) + " is not a column of " + table);
      }
      keyPositions[i] = p;
    }
  }

  public TableId table() {
    return table;
  }

  public List<Column> columns() {
    return columns;
  }

  public List<String> keyColumns() {
    return keyColumns;
  }

  /** The position of a column, or -1 when the table has no such column. */
  public int indexOf(String column) {
    Integer p = positions.get(column);
    return p == null ? -1 : p;
  }

  /**
   * The position in this schema of the column that {@code c} (a column of another version of the
   * table) is now: the one with its number when both versions have numbers (a rename keeps it, and
   * a column dropped and added again under its name is another column), else the one with its name;
   * -1 when there is none (dropped since, or added later).
   */
  public int indexOfSame(Column c) {
    int number = c.number();
    if (numbered != null && number > 0) {
      Integer p = numbered.get(number);
      return p == null ? -1 : p;
    }
    return indexOf(c.name());
  }

  public Column column(int index) {
    return columns.get(index);
  }

  public int size() {
    return columns.size();
  }

  /** The primary key of a row of this table. */
  public RowKey keyOf(Row row) {
    Object[] values = new Object[keyPositions.length];
    for (int i = 0; i < values.length; i++) {
      values[i] = row.get(keyPositions[i]);
    }
    return RowKey.of(keyColumns, values);
  }

  /** The schemas of the key columns, in key order. */
  public List<ValueSchema> keySchemas() {
    List<ValueSchema> schemas = new ArrayList<>(keyPositions.length);
    for (int p : keyPositions) {
      schemas.add(columns.get(p).schema());
    }
    return schemas;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TableSchema other
        && table.equals(other.table)
        && columns.equals(other.columns)
        && keyColumns.equals(other.keyColumns);
  }

  @Override
  public int hashCode() {
    return Objects.hash(table, columns, keyColumns);
  }

  @Override
  public String toString() {
    return "TableSchema[" + table + ", columns=" + columns.size() + ", key=" + keyColumns + "]";
  }
}
