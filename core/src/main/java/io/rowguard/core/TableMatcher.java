package io.rowguard.core;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Tables named in a config value: {@code schema.table}, a bare {@code table} (any schema), or
 * {@code *} (every table).
 */
public record TableMatcher(List<TableId> tables, boolean all) {
  public static final TableMatcher NONE = new TableMatcher(List.of(), false);

  public TableMatcher {
    tables = List.copyOf(tables);
  }

  /** Parses a comma-separated list; the empty string names no table. */
  public static TableMatcher parse(String text) {
    if (text == null || text.isBlank()) {
      return NONE;
    }
    if (text.trim().equals("*")) {
      return new TableMatcher(List.of(), true);
    }
    List<TableId> out = new java.util.ArrayList<>();
    for (String part : splitList(text)) {
      out.add(TableId.parse(part));
    }
    return new TableMatcher(out, false);
  }

  /** Splits on commas outside double quotes. */
  static List<String> splitList(String text) {
    List<String> parts = new java.util.ArrayList<>();
    StringBuilder sb = new StringBuilder();
    boolean quoted = false;
    for (char c : text.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
      }
      if (c == ',' && !quoted) {
        parts.add(sb.toString().trim());
        sb.setLength(0);
      } else {
        sb.append(c);
      }
    }
    parts.add(sb.toString().trim());
    return parts.stream().filter(p -> !p.isEmpty()).toList();
  }

  public boolean matches(TableId table) {
    return all || tables.stream().anyMatch(t -> covers(t, table));
  }

  /** True when a configured name (maybe without schema) names {@code table}. */
  public static boolean covers(TableId configured, TableId table) {
    return configured.name().equals(table.name())
        && (configured.schema().isEmpty() || configured.schema().equals(table.schema()));
  }

  public boolean isEmpty() {
    return !all && tables.isEmpty();
  }

  @Override
  public String toString() {
    return all ? "*" : tables.stream().map(TableId::toString).collect(Collectors.joining(","));
  }
}
