package io.rowguard.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How the journal is mirrored into Kafka ({@code mirror.*}, and {@code kafka.*} for the producer).
 *
 * @param enabled {@code capture} runs the mirror on its own thread ({@code mirror.enabled})
 * @param bootstrapServers the brokers ({@code mirror.bootstrap.servers}); empty when not configured
 * @param topicPrefix the first part of every topic name ({@code mirror.topic.prefix}, default: the
 *     source's {@code topic.prefix}, else {@code rowguard})
 * @param schemas records carry their Connect schemas, as {@code JsonConverter} with {@code
 *     schemas.enable=true} writes them ({@code mirror.schemas}, default true)
 * @param tombstones a delete is followed by a record with a null value, for compacted topics
 *     ({@code mirror.tombstones}, default true)
 * @param kafka the producer's (and the position reader's) own settings, {@code kafka.} removed,
 *     passed on unchanged: TLS, SASL, compression, linger
 */
public record MirrorSettings(
    boolean enabled,
    String bootstrapServers,
    String topicPrefix,
    boolean schemas,
    boolean tombstones,
    Map<String, String> kafka) {

  public static final String PREFIX = "mirror.";
  public static final String KAFKA_PREFIX = "kafka.";

  /** Every {@code mirror.*} key rowguard knows. */
  public static final List<String> KEYS =
      List.of(
          "mirror.bootstrap.servers",
          "mirror.enabled",
          "mirror.schemas",
          "mirror.tombstones",
          "mirror.topic.prefix");

  /** Producer settings the mirror owns: setting them would break exactly-once delivery. */
  static final List<String> OWNED =
      List.of(
          "transactional.id",
          "enable.idempotence",
          "acks",
          "key.serializer",
          "value.serializer",
          "isolation.level",
          "bootstrap.servers");

  public MirrorSettings {
    kafka = Collections.unmodifiableMap(new LinkedHashMap<>(kafka));
  }

  /** True when {@code mirror.bootstrap.servers} is set. */
  public boolean configured() {
    return !bootstrapServers.isBlank();
  }

  static MirrorSettings parse(
      String where,
      Map<String, String> raw,
      Map<String, String> source,
      java.util.function.BinaryOperator<String> resolve) {
    TreeSet<String> unknown = new TreeSet<>();
    Map<String, String> kafka = new TreeMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
        unknown.add(key);
      } else if (key.startsWith(KAFKA_PREFIX)) {
        String name = key.substring(KAFKA_PREFIX.length());
        if (OWNED.contains(name)) {
          throw new ConfigException(
              where
                  + key
                  + " is the mirror's to set ("
                  + (name.equals("bootstrap.servers")
                      ? "use mirror.bootstrap.servers"
                      : "it needs it for exactly-once delivery")
                  + "); remove the key");
        }
        kafka.put(name, resolve.apply(key, e.getValue()));
      }
    }
    ConfigException.refuseUnknown(
        where,
        unknown,
        "the mirror's keys: "
            + String.join(", ", KEYS)
            + "; the producer's own settings take the prefix kafka.");
    String servers = raw.getOrDefault("mirror.bootstrap.servers", "").trim();
    if (!servers.isEmpty()) {
      servers = resolve.apply("mirror.bootstrap.servers", servers);
      requireBrokers(where, "mirror.bootstrap.servers", servers);
    }
    String prefix = raw.getOrDefault("mirror.topic.prefix", "").trim();
    if (prefix.isEmpty()) {
      prefix = source.getOrDefault("topic.prefix", "rowguard").trim();
    }
    if (!prefix.matches("[A-Za-z0-9._-]{1,200}")) {
      throw new ConfigException(
          where
              + "mirror.topic.prefix="
              + prefix
              + " is not a valid start of a Kafka topic name (letters, digits, '.', '_', '-')");
    }
    boolean enabled = ConfigException.flag(where, raw, "mirror.enabled", false);
    if (enabled && servers.isEmpty()) {
      throw new ConfigException(
          where + "mirror.enabled=true needs mirror.bootstrap.servers (the Kafka brokers)");
    }
    return new MirrorSettings(
        enabled,
        servers,
        prefix,
        ConfigException.flag(where, raw, "mirror.schemas", true),
        ConfigException.flag(where, raw, "mirror.tombstones", true),
        kafka);
  }

  /** Refuses a broker list that is not host:port pairs. */
  static void requireBrokers(String where, String key, String servers) {
    for (String server : servers.split(",")) {
      if (!server.trim().matches("[^\\s:]+:\\d{1,5}")) {
        throw new ConfigException(
            where
                + key
                + "="
                + servers
                + " is not a list of host:port (e.g. kafka1:9092,kafka2:9092)");
      }
    }
  }

  /** Masks secrets among the producer settings. */
  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    kafka.forEach((k, v) -> shown.put(k, RowguardConfig.isSecret(k) ? "********" : v));
    return "MirrorSettings[enabled="
        + enabled
        + ", bootstrapServers="
        + bootstrapServers
        + ", topicPrefix="
        + topicPrefix
        + ", schemas="
        + schemas
        + ", tombstones="
        + tombstones
        + ", kafka="
        + shown
        + "]";
  }
}
