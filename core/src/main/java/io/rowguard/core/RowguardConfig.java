package io.rowguard.core;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One guarded database's configuration, validated once at start.
 *
 * <p>Keys under {@code source.} go to Debezium unchanged (without the prefix), except {@code
 * source.connector}, which picks the database kind. The other keys are rowguard's own; an unknown
 * one is an error, so that a typo does not silently fall back to a default.
 *
 * @param file where the configuration was read from, for messages
 * @param connector the kind of database
 * @param journalDir the journal's directory
 * @param source the Debezium properties, {@code source.} removed, {@code ${env:NAME}} resolved
 * @param fixReplicaIdentity run {@code ALTER TABLE … REPLICA IDENTITY FULL} on captured tables that
 *     lack it instead of refusing to start
 * @param unresolved why a {@code source.} value could not be resolved (an unset environment
 *     variable); commands that only read the journal work regardless, {@link #requireSource()}
 *     fails with the first reason
 * @param retention how long entries are kept ({@code journal.retention}); null keeps everything
 * @param actorColumns the column that names who wrote a row, per table ({@code
 *     audit.actor-column.<table>})
 * @param guard the guard rules ({@code guard.*})
 * @param warnRetainedWalBytes capture warns while its replication slot holds more WAL than this
 *     ({@code capture.warn-retained-wal}, default 1 GB; 0 never warns)
 * @param applyLogin who writes rollbacks and backouts ({@code apply.user}, {@code apply.password});
 *     the capture user when not set
 * @param mirror how the journal is mirrored into Kafka ({@code mirror.*}, {@code kafka.*})
 * @param kafkaSource where the journal is built from with {@code source.connector=kafka}: Debezium
 *     topics, and the database they describe ({@code apply.url}); null for rowguard's own engine
 * @param serve the HTTP API, web page and metrics ({@code serve.*})
 */
public record RowguardConfig(
    Path file,
    ConnectorKind connector,
    Path journalDir,
    Map<String, String> source,
    boolean fixReplicaIdentity,
    List<String> unresolved,
    Duration retention,
    PerTable<String> actorColumns,
    GuardRules guard,
    long warnRetainedWalBytes,
    ApplyLogin applyLogin,
    MirrorSettings mirror,
    KafkaSourceSettings kafkaSource,
    ServeSettings serve) {

  /** The default of {@code capture.warn-retained-wal}. */
  public static final long DEFAULT_WARN_RETAINED_WAL = 1L << 30;

  public static final String SOURCE_PREFIX = "source.";

  private static final Set<String> OWN_KEYS =
      Set.of(
          "journal.dir",
          "journal.retention",
          "capture.fix-replica-identity",
          "capture.warn-retained-wal",
          "guard.protected-tables",
          "guard.require-actor",
          "guard.webhook.url",
          "guard.webhook.timeout",
          "apply.user",
          "apply.password",
          "apply.url");
  private static final String ACTOR_COLUMN = "audit.actor-column.";
  private static final String MAX_ROWS = "guard.max-rows.";
  private static final String WEBHOOK_HEADER = "guard.webhook.header.";
  private static final List<String> OWN_PREFIXES = List.of(ACTOR_COLUMN, MAX_ROWS, WEBHOOK_HEADER);
  private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

  public RowguardConfig {
    source = Collections.unmodifiableMap(new LinkedHashMap<>(source));
    unresolved = List.copyOf(unresolved);
  }

  /** The source settings, fully resolved: for anything that connects to the database. */
  public Map<String, String> requireSource() {
    if (!unresolved.isEmpty()) {
      throw new ConfigException(unresolved.get(0));
    }
    return source;
  }

  /** Reads and validates a config file, resolving {@code ${env:NAME}} from the process env. */
  public static RowguardConfig load(Path file) {
    return load(file, System::getenv);
  }

  public static RowguardConfig load(Path file, UnaryOperator<String> env) {
    Properties props = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      props.load(reader);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    Map<String, String> raw = new TreeMap<>();
    for (String key : props.stringPropertyNames()) {
      raw.put(key.trim(), props.getProperty(key).trim());
    }
    return of(file, raw, env);
  }

  /** Validates already-read properties; {@code file} only names them in messages. */
  public static RowguardConfig of(Path file, Map<String, String> raw, UnaryOperator<String> env) {
    String where = "config " + file + ": ";
    Set<String> unknown = new TreeSet<>();
    Map<String, String> source = new LinkedHashMap<>();
    List<String> unresolved = new ArrayList<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(SOURCE_PREFIX)) {
        String value = e.getValue();
        try {
          value = resolveEnv(where, key, value, env);
        } catch (ConfigException unset) {
          unresolved.add(unset.getMessage());
        }
        source.put(key.substring(SOURCE_PREFIX.length()), value);
      } else if (!OWN_KEYS.contains(key)
          && OWN_PREFIXES.stream().noneMatch(key::startsWith)
          && !key.startsWith(MirrorSettings.PREFIX)
          && !key.startsWith(MirrorSettings.KAFKA_PREFIX)
          && !key.startsWith(ServeSettings.PREFIX)) {
        unknown.add(key);
      }
    }
    ConfigException.refuseUnknown(
        where,
        unknown,
        "rowguard's keys: "
            + String.join(", ", new TreeSet<>(OWN_KEYS))
            + ", "
            + String.join(", ", OWN_PREFIXES.stream().map(p -> p + "<table>").toList())
            + ", mirror.*, serve.*; Debezium's keys take the prefix source., the Kafka producer's"
            + " kafka.");
    String connectorName = source.remove("connector");
    if (connectorName == null || connectorName.isBlank()) {
      throw new ConfigException(
          where + "missing key source.connector (one of postgres, mysql, mariadb, kafka)");
    }
    if (connectorName.trim().equalsIgnoreCase(KafkaSourceSettings.CONNECTOR)) {
      return fromKafka(file, where, raw, source, unresolved, env);
    }
    if (raw.containsKey("apply.url")) {
      throw new ConfigException(
          where
              + "apply.url is for source.connector=kafka; with rowguard's own engine rollbacks"
              + " write to the source.database.* server (as apply.user when set)");
    }
    ConnectorKind connector;
    try {
      connector = ConnectorKind.parse(connectorName);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          where
              + "source.connector="
              + connectorName
              + " is not a connector rowguard knows (one of postgres, mysql, mariadb, kafka)");
    }
    requireKey(where, source, "database.hostname", "e.g. 127.0.0.1");
    requireKey(where, source, "database.user", "the replication user");
    if (connector == ConnectorKind.POSTGRES) {
      requireKey(where, source, "database.dbname", "the database to guard");
    }
    for (String kind : new String[] {"table", "schema", "column", "database"}) {
      String include = source.get(kind + ".include.list");
      String exclude = source.get(kind + ".exclude.list");
      if (include != null && !include.isBlank() && exclude != null && !exclude.isBlank()) {
        throw new ConfigException(
            where
                + "source."
                + kind
                + ".include.list and source."
                + kind
                + ".exclude.list are both set; Debezium takes one or the other: keep the include"
                + " list (what to capture) or the exclude list (what to leave out)");
      }
    }
    refuseIncomplete(where, source);
    String port = source.get("database.port");
    if (port != null) {
      try {
        int p = Integer.parseInt(port);
        if (p < 1 || p > 65535) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(
            where + "source.database.port=" + port + " is not a port number (1-65535)");
      }
    }
    String dir = raw.get("journal.dir");
    if (dir == null || dir.isBlank()) {
      throw new ConfigException(
          where + "missing key journal.dir (the directory of this database's journal)");
    }
    Path journalDir = Path.of(resolveEnv(where, "journal.dir", dir, env));
    if (!journalDir.isAbsolute()) {
      journalDir = file.toAbsolutePath().getParent().resolve(journalDir).normalize();
    }
    boolean fix =
        parseBoolean(
            where, "capture.fix-replica-identity", raw.get("capture.fix-replica-identity"));
    Duration retention =
        raw.containsKey("journal.retention")
            ? duration(where, "journal.retention", raw.get("journal.retention"))
            : null;
    long warnWal =
        raw.containsKey("capture.warn-retained-wal")
            ? bytes(where, "capture.warn-retained-wal", raw.get("capture.warn-retained-wal"))
            : DEFAULT_WARN_RETAINED_WAL;
    return new RowguardConfig(
        file,
        connector,
        journalDir,
        source,
        fix,
        unresolved,
        retention,
        perTable(where, raw, ACTOR_COLUMN, v -> v),
        guardRules(where, raw, env),
        warnWal,
        applyLogin(where, raw, env),
        MirrorSettings.parse(where, raw, source, (k, v) -> resolveEnv(where, k, v, env)),
        null,
        ServeSettings.parse(where, raw));
  }

  /**
   * A journal built from Debezium's topics: {@code source.*} names them, {@code apply.*} the db.
   */
  private static RowguardConfig fromKafka(
      Path file,
      String where,
      Map<String, String> raw,
      Map<String, String> source,
      List<String> unresolved,
      UnaryOperator<String> env) {
    if (!unresolved.isEmpty()) {
      throw new ConfigException(unresolved.get(0));
    }
    String url = raw.get("apply.url");
    KafkaSourceSettings kafka =
        KafkaSourceSettings.parse(
            where, source, url == null ? null : resolveEnv(where, "apply.url", url, env));
    ApplyLogin login = applyLogin(where, raw, env);
    if (!login.separate()) {
      throw new ConfigException(
          where
              + "missing key apply.user (with source.connector=kafka rowguard reads the database's"
              + " tables and writes rollbacks as this user; apply.password for its password)");
    }
    MirrorSettings mirror =
        MirrorSettings.parse(where, raw, source, (k, v) -> resolveEnv(where, k, v, env));
    KafkaSourceSettings.refuseOwned(where, mirror.kafka());
    String dir = raw.get("journal.dir");
    if (dir == null || dir.isBlank()) {
      throw new ConfigException(
          where + "missing key journal.dir (the directory of this database's journal)");
    }
    Path journalDir = Path.of(resolveEnv(where, "journal.dir", dir, env));
    if (!journalDir.isAbsolute()) {
      journalDir = file.toAbsolutePath().getParent().resolve(journalDir).normalize();
    }
    if (raw.containsKey("capture.fix-replica-identity")
        || raw.containsKey("capture.warn-retained-wal")) {
      throw new ConfigException(
          where
              + "capture.fix-replica-identity and capture.warn-retained-wal are for rowguard's own"
              + " engine; with source.connector=kafka the Kafka Connect cluster owns the slot");
    }
    return new RowguardConfig(
        file,
        kafka.database().kind(),
        journalDir,
        source,
        false,
        List.of(),
        raw.containsKey("journal.retention")
            ? duration(where, "journal.retention", raw.get("journal.retention"))
            : null,
        perTable(where, raw, ACTOR_COLUMN, v -> v),
        guardRules(where, raw, env),
        0,
        login,
        mirror,
        kafka,
        ServeSettings.parse(where, raw));
  }

  /** True when the journal is built from Debezium's Kafka topics rather than its own engine. */
  public boolean fromKafka() {
    return kafkaSource != null;
  }

  private static ApplyLogin applyLogin(
      String where, Map<String, String> raw, UnaryOperator<String> env) {
    String user = raw.getOrDefault("apply.user", "").trim();
    String password = raw.getOrDefault("apply.password", "");
    if (user.isEmpty()) {
      if (!password.isEmpty()) {
        throw new ConfigException(
            where + "apply.password is set without apply.user (the user that writes rollbacks)");
      }
      return ApplyLogin.CAPTURE_USER;
    }
    user = resolveEnv(where, "apply.user", user, env);
    try {
      return new ApplyLogin(user, resolveEnv(where, "apply.password", password, env), "");
    } catch (ConfigException e) {
      return new ApplyLogin(user, "", e.getMessage());
    }
  }

  private static GuardRules guardRules(
      String where, Map<String, String> raw, UnaryOperator<String> env) {
    PerTable<Long> maxRows =
        perTable(
            where,
            raw,
            MAX_ROWS,
            v -> {
              long n = Long.parseLong(v);
              if (n < 0) {
                throw new NumberFormatException();
              }
              return n;
            });
    TableMatcher protectedTables =
        tables(where, "guard.protected-tables", raw.get("guard.protected-tables"));
    TableMatcher requireActor =
        tables(where, "guard.require-actor", raw.get("guard.require-actor"));
    URI webhook = null;
    String url = raw.get("guard.webhook.url");
    if (url != null && !url.isBlank()) {
      try {
        webhook = new URI(resolveEnv(where, "guard.webhook.url", url, env));
      } catch (URISyntaxException e) {
        webhook = null;
      }
      if (webhook == null
          || webhook.getHost() == null
          || !("http".equals(webhook.getScheme()) || "https".equals(webhook.getScheme()))) {
        throw new ConfigException(
            where + "guard.webhook.url=" + url + " is not an http:// or https:// URL");
      }
    }
    Map<String, String> headers = new TreeMap<>();
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (e.getKey().startsWith(WEBHOOK_HEADER)) {
        String name = e.getKey().substring(WEBHOOK_HEADER.length());
        if (!name.matches("[A-Za-z0-9-]+")) {
          throw new ConfigException(where + e.getKey() + " is not a valid HTTP header name");
        }
        headers.put(name, resolveEnv(where, e.getKey(), e.getValue(), env));
      }
    }
    Duration timeout =
        raw.containsKey("guard.webhook.timeout")
            ? duration(where, "guard.webhook.timeout", raw.get("guard.webhook.timeout"))
            : Duration.ofSeconds(5);
    return new GuardRules(maxRows, protectedTables, requireActor, webhook, headers, timeout);
  }

  private static final Pattern SIZE =
      Pattern.compile("(?i)^\\s*(\\d+)\\s*(b|kb|k|mb|m|gb|g|tb|t)?\\s*$");

  /** A size as people write it: {@code 512MB}, {@code 1GB}, {@code 0}; units are powers of 1024. */
  static long bytes(String where, String key, String value) {
    Matcher m = SIZE.matcher(value == null ? "" : value);
    if (!m.matches()) {
      throw new ConfigException(
          where + key + "=" + value + " is not a size (e.g. 512MB, 1GB, 2TB; 0 turns it off)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(java.util.Locale.ROOT);
    int shift =
        switch (unit.charAt(0)) {
          case 'k' -> 10;
          case 'm' -> 20;
          case 'g' -> 30;
          case 't' -> 40;
          default -> 0;
        };
    return n << shift;
  }

  private static Duration duration(String where, String key, String value) {
    try {
      return Durations.parse(value, key);
    } catch (InputException e) {
      throw new ConfigException(where + e.getMessage());
    }
  }

  private static TableMatcher tables(String where, String key, String value) {
    try {
      return TableMatcher.parse(value);
    } catch (InputException e) {
      throw new ConfigException(where + key + ": " + e.getMessage());
    }
  }

  /** Collects {@code prefix<table>=value} keys; {@code prefix*} is the value for other tables. */
  private static <T> PerTable<T> perTable(
      String where, Map<String, String> raw, String prefix, Function<String, T> parse) {
    Map<TableId, T> named = new LinkedHashMap<>();
    T fallback = null;
    for (Map.Entry<String, String> e : raw.entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        continue;
      }
      String table = e.getKey().substring(prefix.length());
      T value;
      try {
        if (e.getValue().isBlank()) {
          throw new IllegalArgumentException();
        }
        value = parse.apply(e.getValue().trim());
      } catch (IllegalArgumentException bad) {
        throw new ConfigException(
            where
                + e.getKey()
                + "="
                + e.getValue()
                + " is not a valid value"
                + (prefix.equals(MAX_ROWS) ? " (a row count, 0 or more)" : " (a column name)"));
      }
      if (table.equals("*")) {
        fallback = value;
        continue;
      }
      try {
        named.put(TableId.parse(table), value);
      } catch (InputException bad) {
        throw new ConfigException(where + e.getKey() + ": " + bad.getMessage());
      }
    }
    return new PerTable<>(named, fallback);
  }

  /**
   * Debezium settings that would make the journal incomplete without a word: skipping an operation,
   * or no transaction boundaries (the journal resumes only from them).
   */
  private static void refuseIncomplete(String where, Map<String, String> source) {
    String skipped = source.get("skipped.operations");
    if (skipped != null && !skipped.isBlank() && !skipped.trim().equalsIgnoreCase("none")) {
      throw new ConfigException(
          where
              + "source.skipped.operations="
              + skipped
              + " would leave changes out of the journal, silently; remove the key (rowguard"
              + " journals every insert, update, delete and truncate)");
    }
    String tx = source.get("provide.transaction.metadata");
    if (tx != null && !tx.trim().equalsIgnoreCase("true")) {
      throw new ConfigException(
          where
              + "source.provide.transaction.metadata="
              + tx
              + ": rowguard needs transaction boundaries to journal exactly once; remove the key");
    }
  }

  private static void requireKey(
      String where, Map<String, String> source, String key, String hint) {
    String v = source.get(key);
    if (v == null || v.isBlank()) {
      throw new ConfigException(where + "missing key source." + key + " (" + hint + ")");
    }
  }

  private static boolean parseBoolean(String where, String key, String value) {
    if (value == null) {
      return false;
    }
    return switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException(where + key + "=" + value + " must be true or false");
    };
  }

  private static String resolveEnv(
      String where, String key, String value, UnaryOperator<String> env) {
    Matcher m = ENV.matcher(value);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String resolved = env.apply(name);
      if (resolved == null) {
        throw new ConfigException(
            where
                + key
                + " refers to ${env:"
                + name
                + "}, but "
                + name
                + " is not set in the environment");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(resolved));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  public String host() {
    return fromKafka() ? kafkaSource.database().host() : source.get("database.hostname");
  }

  public int port() {
    if (fromKafka()) {
      return kafkaSource.database().port();
    }
    String p = source.get("database.port");
    return p == null ? connector.defaultPort() : Integer.parseInt(p);
  }

  /** The capture user; with a Kafka source, {@code apply.user}. */
  public String user() {
    return fromKafka() ? applyLogin.user() : source.get("database.user");
  }

  /** The password, or empty. Never log it; {@link #toString()} masks it. */
  public String password() {
    return fromKafka() ? applyLogin.password() : source.getOrDefault("database.password", "");
  }

  public String database() {
    return fromKafka()
        ? kafkaSource.database().database()
        : source.getOrDefault("database.dbname", "");
  }

  /** Masks every key that looks like a secret. */
  @Override
  public String toString() {
    Map<String, String> shown = new TreeMap<>();
    source.forEach((k, v) -> shown.put(k, isSecret(k) ? "********" : v));
    return "RowguardConfig[file="
        + file
        + ", connector="
        + connector.configName()
        + ", journalDir="
        + journalDir
        + ", source="
        + shown
        + "]";
  }

  public static boolean isSecret(String key) {
    String k = key.toLowerCase(java.util.Locale.ROOT);
    return k.contains("password")
        || k.contains("secret")
        || k.contains("token")
        || k.contains("jaas");
  }
}
