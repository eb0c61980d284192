package io.rowguard.connectors.internal;

import io.rowguard.core.RowguardConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The Debezium engine properties for a guarded database: rowguard's defaults, chosen so that every
 * value can be written back exactly, overlaid by the user's {@code source.*} keys.
 */
public final class DebeziumSettings {
  /** Debezium's default marker for a value the log left out. */
  public static final String DEFAULT_PLACEHOLDER = "__debezium_unavailable_value";

  private DebeziumSettings() {}

  public static Map<String, String> defaults(RowguardConfig config) {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("name", "rowguard");
    d.put("topic.prefix", "rowguard");
    // exact values for write-back
    d.put("decimal.handling.mode", "string");
    d.put("time.precision.mode", "adaptive_time_microseconds");
    d.put("binary.handling.mode", "bytes");
    d.put("include.unknown.datatypes", "true");
    d.put("column.propagate.source.type", ".*");
    // a full, ordered picture of every transaction
    d.put("provide.transaction.metadata", "true");
    d.put("tombstones.on.delete", "false");
    // a TRUNCATE is journaled as the removal of every row the journal knows of the table
    d.put("skipped.operations", "none");
    // Debezium's context headers name the connector on every record for downstream Kafka
    // consumers; rowguard never forwards Connect records, and four header objects per change are
    // most of what a young collection copies while a batch is being journaled
    d.put("extended.headers.enabled", "false");
    d.put("snapshot.mode", "initial");
    // backfills of tables found while capture runs: blocking snapshots asked for in this process,
    // their end told through rowguard's notification channel
    d.put("signal.enabled.channels", "in-process");
    d.put("notification.enabled.channels", CaptureNotifications.NAME);
    // keeps the slot advancing while captured tables are idle
    d.put("heartbeat.interval.ms", "10000");
    // a batch that is not full waits this long for more changes (Debezium's default of 500 ms
    // would be most of the commit-to-journal latency at moderate rates)
    d.put("poll.interval.ms", "20");
    d.put("offset.flush.interval.ms", "0");
    d.put("offset.flush.timeout.ms", "60000");
    // the database's own, last: they may refine the shared ones
    Source.of(config).addDefaults(d);
    return d;
  }

  /** The logical message prefix of rowguard's heartbeats. */
  public static final String HEARTBEAT_PREFIX = "rowguard-heartbeat";

  public static final String HEARTBEAT_QUERY =
      "SELECT pg_logical_emit_message(true, '" + HEARTBEAT_PREFIX + "', '')";

  /** The publication an earlier rowguard used by default: {@code rowguard_<database>}. */
  public static String legacyPublication(RowguardConfig config) {
    return "rowguard_" + sanitize(config.database());
  }

  /** The engine's properties; {@code sessionId} ties the offset store to its journal. */
  public static Properties engineProperties(RowguardConfig config, String sessionId) {
    return engineProperties(config, sessionId, Map.of());
  }

  /**
   * The engine's properties, with {@code settled}: what rowguard decided before the start (the
   * publication, the tables' filter), which the user's {@code source.*} keys do not override.
   */
  public static Properties engineProperties(
      RowguardConfig config, String sessionId, Map<String, String> settled) {
    Map<String, String> merged = defaults(config);
    merged.putAll(config.requireSource());
    merged.putAll(settled);
    if ("filtered".equalsIgnoreCase(merged.get("publication.autocreate.mode"))
        || "all_tables".equalsIgnoreCase(merged.get("publication.autocreate.mode"))) {
      merged.put("publication.autocreate.mode", "disabled"); // rowguard made it already
    }
    merged.putIfAbsent("rowguardpgtext.placeholder", placeholder(config));
    // rowguard owns where offsets live: they must be written with the journal entries
    merged.put("offset.storage", JournalOffsetStore.class.getName());
    merged.put(CaptureSession.ID_PROPERTY, sessionId);
    // binlog sources' schema history finds the journal it is kept in through the same session
    merged.put(JournalSchemaHistory.SESSION_PROPERTY, sessionId);
    Properties p = new Properties();
    p.putAll(merged);
    return p;
  }

  /** A Debezium setting as the engine will see it: the user's, else rowguard's default. */
  public static String engineSetting(RowguardConfig config, String key) {
    return config.source().getOrDefault(key, defaults(config).get(key));
  }

  public static String placeholder(RowguardConfig config) {
    return config.source().getOrDefault("unavailable.value.placeholder", DEFAULT_PLACEHOLDER);
  }

  /**
   * Debezium's table filter, leaving {@code left} out: the user's include list with each pattern
   * made to skip them, or else their exclude list with them added. (Debezium takes one list or the
   * other.) Used for the partitions of captured partitioned tables, which the snapshot must read
   * through their root only.
   */
  public static Map<String, String> tableFilterWithout(
      RowguardConfig config, java.util.Collection<io.rowguard.core.TableId> left) {
    if (left.isEmpty()) {
      return Map.of();
    }
    java.util.List<String> quoted =
        left.stream().map(t -> java.util.regex.Pattern.quote(t.schema() + "." + t.name())).toList();
    String names = String.join("|", quoted);
    String include = config.source().get("table.include.list");
    if (include != null && !include.isBlank()) {
      java.util.List<String> patterns = new java.util.ArrayList<>();
      for (String p : include.split(",")) {
        if (!p.isBlank()) {
          patterns.add("(?!(?:" + names + ")$)(?:" + p.trim() + ")");
        }
      }
      return Map.of("table.include.list", String.join(",", patterns));
    }
    String exclude = config.source().get("table.exclude.list");
    String extra = String.join(",", quoted);
    return Map.of(
        "table.exclude.list", exclude == null || exclude.isBlank() ? extra : exclude + "," + extra);
  }

  /** {@code name} in lower case with anything but letters, digits and _ made _. */
  public static String sanitize(String name) {
    StringBuilder sb = new StringBuilder();
    for (char c : name.toLowerCase(Locale.ROOT).toCharArray()) {
      sb.append((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
    }
    return sb.toString();
  }
}
