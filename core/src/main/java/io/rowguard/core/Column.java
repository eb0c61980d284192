package io.rowguard.core;

import java.util.Objects;

/** A column of a captured table. */
public record Column(String name, ValueSchema schema) {
  public Column {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(schema, "schema");
  }
}
