package io.rowguard.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** A column of a captured table. */
public record Column(String name, ValueSchema schema) {
  /**
   * The parameter holding a column's number in its table (PostgreSQL's attnum), when capture read
   * it from the catalog. A renamed column keeps its number; a column dropped and added again under
   * the same name gets a new one.
   */
  public static final String NUMBER = "rowguard.column.number";

  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(schema, "schema");
  }

  /** The column's number in its table, or 0 when capture did not record it. */
  public int number() {
    String n = schema.parameters().get(NUMBER);
    try {
      return n == null ? 0 : Integer.parseInt(n);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** This column with its number in the table recorded. */
  public Column numbered(int number) {
    Map<String, String> params = new HashMap<>(schema.parameters());
    params.put(NUMBER, Integer.toString(number));
    return new Column(name, schema.withParameters(params));
  }
}
