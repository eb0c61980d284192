package io.rowguard.core;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Where a journal is built from when {@code source.connector=kafka}: the change topics an existing
 * Debezium (on Kafka Connect, or Debezium Server) writes, instead of rowguard's own engine; and the
 * database they describe, which rollbacks write to ({@code apply.url}).
 *
 * @param bootstrapServers the brokers ({@code source.bootstrap.servers})
 * @param topics the change topics, one per table ({@code source.topics}); empty with a pattern
 * @param topicsRegex a pattern every change topic's whole name matches ({@code
 *     source.topics.regex}), or null
 * @param transactionTopic Debezium's transaction metadata topic ({@code source.transaction.topic},
 *     written with {@code provide.transaction.metadata=true}), or empty: transactions are then
 *     grouped by {@code source.txId}/{@code source.gtid}
 * @param settle how long every other partition must have been caught up before a transaction seen
 *     only in some topics counts as complete (no transaction topic), and before a partition with
 *     nothing more counts as idle ({@code source.transaction.settle}, default 2 s)
 * @param database the database the topics come from, from {@code apply.url}
 * @param microTimes for topics written without schemas: the connector's {@code time.precision.mode}
 *     is {@code adaptive_time_microseconds} ({@code source.time.precision.mode}; default {@code
 *     adaptive})
 */
public record KafkaSourceSettings(
    String bootstrapServers,
    List<String> topics,
    Pattern topicsRegex,
    String transactionTopic,
    Duration settle,
    Target database,
    boolean microTimes) {

  /** {@code source.connector} for a journal built from Kafka topics. */
  public static final String CONNECTOR = "kafka";

  /** Every {@code source.*} key such a source knows. */
  public static final List<String> KEYS =
      List.of(
          "source.bootstrap.servers",
          "source.topics",
          "source.topics.regex",
          "source.transaction.topic",
          "source.transaction.settle",
          "source.time.precision.mode");

  /** Consumer settings the ingest owns: it assigns partitions and keeps offsets in the journal. */
  static final List<String> OWNED =
      List.of(
          "group.id",
          "group.instance.id",
          "enable.auto.commit",
          "auto.offset.reset",
          "key.deserializer",
          "value.deserializer");

  public KafkaSourceSettings {
    topics = List.copyOf(topics);
  }

  /**
   * The database a Kafka-built journal describes, from a JDBC URL ({@code
   * jdbc:postgresql://host:5432/shop}, {@code jdbc:mysql://host:3306/shop}, {@code
   * jdbc:mariadb://…}).
   *
   * @param kind the kind of database, which decides the dialect rollbacks write in
   * @param database the database's name (PostgreSQL: required; MySQL/MariaDB: may be empty)
   * @param properties the URL's query parameters ({@code sslmode=require}), for the driver
   */
  public record Target(
      ConnectorKind kind, String host, int port, String database, Map<String, String> properties) {
    public Target {
      properties = Map.copyOf(properties);
    }
  }

  /** True when {@code topic} is one of the change topics (not the transaction topic). */
  public boolean changeTopic(String topic) {
    if (topic.equals(transactionTopic)) {
      return false;
    }
    return topicsRegex == null ? topics.contains(topic) : topicsRegex.matcher(topic).matches();
  }

  /** The selection in words, for messages and the journal's binding. */
  public String describeTopics() {
    return topicsRegex == null
        ? "topics " + String.join(",", topics)
        : "topics matching " + topicsRegex.pattern();
  }

  static KafkaSourceSettings parse(String where, Map<String, String> source, String applyUrl) {
    TreeSet<String> unknown = new TreeSet<>();
    for (String key : source.keySet()) {
      if (!KEYS.contains(RowguardConfig.SOURCE_PREFIX + key)) {
        unknown.add(RowguardConfig.SOURCE_PREFIX + key);
      }
    }
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          where
              + "unknown key "
              + String.join(", ", unknown)
              + " for source.connector=kafka (its keys: "
              + String.join(", ", KEYS)
              + "; consumer settings take the prefix kafka.)");
    }
    String servers = source.getOrDefault("bootstrap.servers", "").trim();
    if (servers.isEmpty()) {
      throw new ConfigException(
          where + "missing key source.bootstrap.servers (the brokers Debezium writes to)");
    }
    MirrorSettings.requireBrokers(where, "source.bootstrap.servers", servers);
    String list = source.getOrDefault("topics", "").trim();
    String regex = source.getOrDefault("topics.regex", "").trim();
    if (list.isEmpty() == regex.isEmpty()) {
      throw new ConfigException(
          where
              + (list.isEmpty()
                  ? "missing key source.topics (the change topics, e.g. shop.public.orders) or"
                      + " source.topics.regex (e.g. shop\\.public\\..*)"
                  : "source.topics and source.topics.regex are both set; keep one"));
    }
    List<String> topics = new ArrayList<>();
    for (String t : list.isEmpty() ? new String[0] : list.split(",")) {
      String topic = t.trim();
      if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
        throw new ConfigException(
            where + "source.topics: '" + topic + "' is not a Kafka topic name");
      }
      topics.add(topic);
    }
    Pattern pattern = null;
    if (!regex.isEmpty()) {
      try {
        pattern = Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        throw new ConfigException(
            where
                + "source.topics.regex="
                + regex
                + " is not a regular expression: "
                + e.getDescription());
      }
    }
    String txTopic = source.getOrDefault("transaction.topic", "").trim();
    Duration settle = Duration.ofSeconds(2);
    String settleText = source.get("transaction.settle");
    if (settleText != null && !settleText.isBlank()) {
      try {
        settle = Durations.parse(settleText, "source.transaction.settle");
      } catch (InputException e) {
        throw new ConfigException(where + e.getMessage());
      }
    }
    if (applyUrl == null || applyUrl.isBlank()) {
      throw new ConfigException(
          where
              + "missing key apply.url (the JDBC URL of the database the topics come from, e.g."
              + " jdbc:postgresql://db:5432/shop): rowguard checks its tables and writes"
              + " rollbacks there");
    }
    String timeMode = source.getOrDefault("time.precision.mode", "adaptive").trim();
    if (!timeMode.equals("adaptive") && !timeMode.equals("adaptive_time_microseconds")) {
      throw new ConfigException(
          where
              + "source.time.precision.mode="
              + timeMode
              + " must be the connector's: adaptive or adaptive_time_microseconds (connect keeps"
              + " milliseconds, which rollbacks cannot write back exactly)");
    }
    return new KafkaSourceSettings(
        servers,
        topics,
        pattern,
        txTopic,
        settle,
        target(where, applyUrl.trim()),
        timeMode.equals("adaptive_time_microseconds"));
  }

  static Target target(String where, String url) {
    String problem =
        where
            + "apply.url="
            + url
            + " is not a JDBC URL rowguard writes to (jdbc:postgresql://host:port/db,"
            + " jdbc:mysql://host:port[/db], jdbc:mariadb://host:port[/db])";
    if (!url.startsWith("jdbc:")) {
      throw new ConfigException(problem);
    }
    URI uri;
    try {
      uri = new URI(url.substring("jdbc:".length()));
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(problem);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    ConnectorKind kind =
        switch (scheme) {
          case "postgresql" -> ConnectorKind.POSTGRES;
          case "mysql" -> ConnectorKind.MYSQL;
          case "mariadb" -> ConnectorKind.MARIADB;
          default -> throw new ConfigException(problem);
        };
    if (uri.getHost() == null) {
      throw new ConfigException(problem);
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String database = path.startsWith("/") ? path.substring(1) : path;
    if (kind == ConnectorKind.POSTGRES && database.isEmpty()) {
      throw new ConfigException(problem + ": name the database");
    }
    Map<String, String> properties = new java.util.LinkedHashMap<>();
    if (uri.getQuery() != null) {
      for (String pair : uri.getQuery().split("&")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          properties.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
      }
    }
    return new Target(
        kind,
        uri.getHost(),
        uri.getPort() < 0 ? kind.defaultPort() : uri.getPort(),
        database,
        properties);
  }

  /** Refuses consumer settings the ingest must own. */
  static void refuseOwned(String where, Map<String, String> kafka) {
    for (String name : kafka.keySet()) {
      if (OWNED.contains(name)) {
        throw new ConfigException(
            where
                + "kafka."
                + name
                + " is the Kafka source's to set (it assigns partitions itself and keeps their"
                + " offsets in the journal, for exactly-once journaling); remove the key");
      }
    }
  }
}
