package io.rowguard.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * One image of a row: a value for every column of its {@link TableSchema}, in column order. Values
 * have the Java classes {@link ValueType} names; SQL NULL is {@code null}.
 */
public final class Row {
  /**
   * Stands for a value the log left out (PostgreSQL sends unchanged TOASTed values as "unchanged"
   * markers). It is filled from the row's previous version before anything is journaled and is
   * never stored or written back.
   */
  public static final Object UNAVAILABLE =
      new Object() {
        @Override
        public String toString() {
          return "<unavailable>";
        }
      };

  /**
   * Stands for a value neither the log nor the journal knows: the log left it out (a table without
   * {@code REPLICA IDENTITY FULL}, an unchanged TOASTed value) and the journal had no earlier
   * version of the row to take it from. It is stored as such, shown as unknown, and never written
   * back: a rollback that would need it refuses the row.
   */
  public static final Object MISSING =
      new Object() {
        @Override
        public String toString() {
          return "<unknown>";
        }
      };

  private final TableSchema schema;
  private final Object[] values;

  private Row(TableSchema schema, Object[] values) {
    this.schema = Objects.requireNonNull(schema, "schema");
    if (values.length != schema.size()) {
      throw new IllegalArgumentException(
          "row of "
              + schema.table()
              + " has "
              + values.length
              + " values for "
              + schema.size()
              + " columns");
    }
    this.values = values;
  }

  /** Takes ownership of {@code values}. */
  public static Row of(TableSchema schema, Object... values) {
    return new Row(schema, values);
  }

  public TableSchema schema() {
    return schema;
  }

  public Object get(int index) {
    return values[index];
  }

  public Object get(String column) {
    int i = schema.indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + column + " in " + schema.table());
    }
    return values[i];
  }

  public int size() {
    return values.length;
  }

  public boolean hasUnavailable() {
    for (Object v : values) {
      if (v == UNAVAILABLE) {
        return true;
      }
    }
    return false;
  }

  /** True when a value is {@link #MISSING}. */
  public boolean hasMissing() {
    for (Object v : values) {
      if (v == MISSING) {
        return true;
      }
    }
    return false;
  }

  /** The names of the columns whose value is {@link #MISSING}. */
  public java.util.List<String> missingColumns() {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      if (values[i] == MISSING) {
        out.add(schema.column(i).name());
      }
    }
    return out;
  }

  /** A copy with one value replaced. */
  public Row with(int index, Object value) {
    Object[] copy = values.clone();
    copy[index] = value;
    return new Row(schema, copy);
  }

  /** True when column {@code index} holds the same value in both rows. */
  public boolean sameValue(Row other, int index) {
    return Values.equal(values[index], other.values[index]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Row other
        && schema.equals(other.schema)
        && Arrays.deepEquals(values, other.values);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(values);
  }

  @Override
  public String toString() {
    return schema.table() + Arrays.deepToString(values);
  }
}
