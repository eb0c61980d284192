package io.rowguard.core;

import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The guard rules of a guarded database, checked as each transaction is journaled.
 *
 * @param maxRows a transaction writing more rows than this to a table violates {@code max-rows}
 * @param protectedTables any write to these violates {@code protected-table}
 * @param requireActor an unattributed write to these violates {@code require-actor}
 * @param webhook where violations are POSTed as JSON, or null
 * @param webhookHeaders extra HTTP headers of the webhook requests (e.g. Authorization)
 * @param webhookTimeout how long one POST may take
 */
public record GuardRules(
    PerTable<Long> maxRows,
    TableMatcher protectedTables,
    TableMatcher requireActor,
    URI webhook,
    Map<String, String> webhookHeaders,
    Duration webhookTimeout) {

  public static final GuardRules NONE =
      new GuardRules(
          PerTable.none(), TableMatcher.NONE, TableMatcher.NONE, null, Map.of(), Duration.ZERO);

  public GuardRules {
    Objects.requireNonNull(maxRows, "maxRows");
    Objects.requireNonNull(protectedTables, "protectedTables");
    Objects.requireNonNull(requireActor, "requireActor");
    webhookHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(webhookHeaders));
  }

  public boolean isEmpty() {
    return maxRows.isEmpty() && protectedTables.isEmpty() && requireActor.isEmpty();
  }
}
