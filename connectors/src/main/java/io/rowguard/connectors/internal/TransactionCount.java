package io.rowguard.connectors.internal;

import io.rowguard.core.TableId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Counts what a transaction delivered against what Debezium says it had: the END marker carries the
 * transaction's {@code event_count}, in all and per table. Debezium still has bugs that skip events
 * on a restart (dbz#1554, dbz#76, dbz#2549); a transaction that arrives short is caught here
 * instead of being journaled as if it were whole.
 */
final class TransactionCount {
  private long events;
  // counted by table object (one per table description): no string built per change
  private final Map<TableId, long[]> perTable = new java.util.IdentityHashMap<>();
  private TableId last;
  private long[] lastCount;

  /** A table (or, with no table, the transaction's other events) that arrived short or long. */
  record Shortfall(TableId table, long expected, long received) {}

  void begin() {
    events = 0;
    perTable.clear();
    last = null;
    lastCount = null;
  }

  /** A change or truncate of {@code table}. */
  void event(TableId table) {
    events++;
    if (table != last) {
      last = table;
      lastCount = perTable.computeIfAbsent(table, t -> new long[1]);
    }
    lastCount[0]++;
  }

  /** True when the transaction begun last has had an event. */
  boolean any() {
    return events > 0;
  }

  /** An event of no table (a logical message). */
  void other() {
    events++;
  }

  /** What disagrees with the END marker; empty when everything arrived (or it gives no count). */
  List<Shortfall> check(SourceRecord end) {
    Struct value = (Struct) end.value();
    if (value.schema().field("event_count") == null || value.get("event_count") == null) {
      return List.of();
    }
    long expected = value.getInt64("event_count");
    if (expected == events) {
      return List.of();
    }
    List<Shortfall> out = new ArrayList<>();
    Map<String, Long> said = new HashMap<>();
    if (value.schema().field("data_collections") != null) {
      List<Object> collections = value.getArray("data_collections");
      for (Object o : collections == null ? List.of() : collections) {
        Struct c = (Struct) o;
        said.put(c.getString("data_collection"), c.getInt64("event_count"));
      }
    }
    Map<String, Long> got = new HashMap<>();
    Map<String, TableId> tables = new HashMap<>();
    perTable.forEach(
        (t, n) -> {
          String name = t.schema() + "." + t.name();
          got.merge(name, n[0], Long::sum);
          tables.putIfAbsent(name, t);
        });
    TreeSet<String> names = new TreeSet<>(said.keySet());
    names.addAll(got.keySet());
    long tableEvents = 0;
    for (String name : names) {
      long want = said.getOrDefault(name, 0L);
      long have = got.getOrDefault(name, 0L);
      tableEvents += want;
      if (want != have) {
        out.add(new Shortfall(tables.getOrDefault(name, parse(name)), want, have));
      }
    }
    if (out.isEmpty()) {
      long others = events - got.values().stream().mapToLong(Long::longValue).sum();
      out.add(new Shortfall(null, expected - tableEvents, others));
    }
    return out;
  }

  private static TableId parse(String name) {
    int dot = name.indexOf('.');
    return dot < 0
        ? TableId.of("public", name)
        : TableId.of(name.substring(0, dot), name.substring(dot + 1));
  }
}
