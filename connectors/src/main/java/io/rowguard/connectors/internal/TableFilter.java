package io.rowguard.connectors.internal;

import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Debezium's include and exclude rules for tables and for what holds them (PostgreSQL's schemas,
 * MySQL's databases), as rowguard reads them: regular expressions matched, whole and ignoring case,
 * against {@code schema.table} and the schema.
 */
public record TableFilter(
    List<Pattern> includeTables,
    List<Pattern> excludeTables,
    List<Pattern> includeSchemas,
    List<Pattern> excludeSchemas) {

  /** The rules of {@code config}; {@code container} is {@code schema} or {@code database}. */
  public static TableFilter of(RowguardConfig config, String container) {
    return new TableFilter(
        patterns(config.source().get("table.include.list")),
        patterns(config.source().get("table.exclude.list")),
        patterns(config.source().get(container + ".include.list")),
        patterns(config.source().get(container + ".exclude.list")));
  }

  public boolean includes(TableId t) {
    String qualified = t.schema() + "." + t.name();
    return (includeTables.isEmpty() || matchesAny(includeTables, qualified))
        && !matchesAny(excludeTables, qualified)
        && (includeSchemas.isEmpty() || matchesAny(includeSchemas, t.schema()))
        && !matchesAny(excludeSchemas, t.schema());
  }

  /** True when {@code schema} may hold captured tables. */
  public boolean includesSchema(String schema) {
    return (includeSchemas.isEmpty() || matchesAny(includeSchemas, schema))
        && !matchesAny(excludeSchemas, schema);
  }

  private static List<Pattern> patterns(String list) {
    List<Pattern> out = new ArrayList<>();
    if (list == null || list.isBlank()) {
      return out;
    }
    for (String p : list.split(",")) {
      if (!p.isBlank()) {
        out.add(Pattern.compile(p.trim(), Pattern.CASE_INSENSITIVE));
      }
    }
    return out;
  }

  private static boolean matchesAny(List<Pattern> patterns, String text) {
    for (Pattern p : patterns) {
      if (p.matcher(text).matches()) {
        return true;
      }
    }
    return false;
  }
}
