package io.rowguard.core;

/**
 * The physical shape of a value as the log delivers it. The Java class of a value of each type is
 * fixed: {@code Boolean}, {@code Byte}, {@code Short}, {@code Integer}, {@code Long}, {@code
 * Float}, {@code Double}, {@code String}, {@code byte[]}, {@code List<Object>} (array), {@code
 * List<Object>} of field values (struct) and {@code Map<Object,Object>} (map).
 */
public enum ValueType {
  BOOLEAN,
  INT8,
  INT16,
  INT32,
  INT64,
  FLOAT32,
  FLOAT64,
  STRING,
  BYTES,
  ARRAY,
  STRUCT,
  MAP;

  public boolean isInteger() {
    return this == INT8 || this == INT16 || this == INT32 || this == INT64;
  }
}
