package io.rowguard.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A setting given per table in the config ({@code prefix.schema.table=value}), with an optional
 * value for every other table ({@code prefix.*=value}). A {@code schema.table} entry beats a bare
 * {@code table} entry, which beats {@code *}.
 */
public record PerTable<T>(Map<TableId, T> named, T fallback) {
  public PerTable {
    named = Collections.unmodifiableMap(new LinkedHashMap<>(named));
  }

  public static <T> PerTable<T> none() {
    return new PerTable<>(Map.of(), null);
  }

  public Optional<T> get(TableId table) {
    T exact = named.get(table);
    if (exact != null) {
      return Optional.of(exact);
    }
    T bare = named.get(TableId.of("", table.name()));
    if (bare != null) {
      return Optional.of(bare);
    }
    return Optional.ofNullable(fallback);
  }

  public boolean isEmpty() {
    return named.isEmpty() && fallback == null;
  }
}
