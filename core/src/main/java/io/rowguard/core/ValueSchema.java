package io.rowguard.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to read one value: its physical {@link ValueType}, the logical type that gives it meaning
 * (for example {@code io.debezium.time.MicroTimestamp}: an INT64 of microseconds), the element
 * schema of an array, the fields of a struct, the key and value schemas of a map, and source
 * parameters (the database's own column type, length and scale).
 */
public record ValueSchema(
    ValueType type,
    String logicalName,
    boolean optional,
    ValueSchema element,
    ValueSchema mapValue,
    List<Field> fields,
    Map<String, String> parameters) {

  /** A named field of a struct. */
  public record Field(String name, ValueSchema schema) {
    public Field {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(schema, "schema");
    }
  }

  /** The parameter Debezium sets to the database's column type when asked to propagate it. */
  public static final String SOURCE_TYPE = "__debezium.source.column.type";

  public static final String SOURCE_LENGTH = "__debezium.source.column.length";
  public static final String SOURCE_SCALE = "__debezium.source.column.scale";

  public ValueSchema {
    Objects.requireNonNull(type, "type");
    fields = fields == null ? List.of() : List.copyOf(fields);
    parameters = parameters == null ? Map.of() : Map.copyOf(parameters);
    if (type == ValueType.ARRAY && element == null) {
      throw new IllegalArgumentException("an array schema needs an element schema");
    }
    if (type == ValueType.MAP && (element == null || mapValue == null)) {
      throw new IllegalArgumentException("a map schema needs key and value schemas");
    }
  }

  public static ValueSchema of(ValueType type) {
    return new ValueSchema(type, null, true, null, null, List.of(), Map.of());
  }

  public static ValueSchema of(ValueType type, String logicalName) {
    return new ValueSchema(type, logicalName, true, null, null, List.of(), Map.of());
  }

  public static ValueSchema arrayOf(ValueSchema element) {
    return new ValueSchema(ValueType.ARRAY, null, true, element, null, List.of(), Map.of());
  }

  public ValueSchema withParameters(Map<String, String> params) {
    return new ValueSchema(type, logicalName, optional, element, mapValue, fields, params);
  }

  /** The database's own type name for this column, or empty when it was not propagated. */
  public String sourceType() {
    return parameters.getOrDefault(SOURCE_TYPE, "");
  }
}
