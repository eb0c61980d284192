package io.rowguard.connectors.internal.kafka;

import io.rowguard.connectors.SourceStatus;
import io.rowguard.connectors.internal.Source;
import io.rowguard.core.InputException;
import io.rowguard.core.KafkaSourceSettings;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.SourceBinding;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A journal built from the change topics an existing Debezium writes ({@code
 * source.connector=kafka}): the topics are checked at start (reachable, present, the transaction
 * topic one partition), the database they describe is checked for full row images through {@code
 * apply.url}, and the journal is bound to the Kafka cluster and that database.
 */
public final class KafkaSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaSource.class);
  private static final long TIMEOUT_SECONDS = 15;

  private final RowguardConfig config;
  private final KafkaSourceSettings settings;
  private final Source database;

  /**
   * @param database the source of the database the topics describe, for its connections and checks
   */
  public KafkaSource(RowguardConfig config, Source database) {
    this.config = config;
    this.settings = config.kafkaSource();
    this.database = database;
  }

  @Override
  public void addDefaults(Map<String, String> defaults) {}

  @Override
  public Connection connect() {
    return database.connect();
  }

  @Override
  public Connection connectToApply() {
    return database.connectToApply();
  }

  @Override
  public List<String> fullImageProblems(List<TableId> tables) {
    return database.fullImageProblems(tables);
  }

  @Override
  public org.apache.kafka.connect.data.Schema schemalessRow(
      TableId table, List<String> columns, boolean microTimes) {
    return database.schemalessRow(table, columns, microTimes);
  }

  @Override
  public List<String> lossyColumns(TableId table, org.apache.kafka.connect.data.Schema row) {
    return database.lossyColumns(table, row);
  }

  /** What the start found: the cluster, its change topics, the tables they carry. */
  /**
   * @param serverMicros when checked: snapshot rows (read by Debezium before) keep their own time,
   *     and tables whose topics hold no snapshot are known from here on
   */
  private record KafkaChecked(
      String clusterId, List<String> topics, List<TableId> tables, long serverMicros)
      implements Checked {}

  @Override
  public Checked check() {
    Map<String, Object> props = new HashMap<>();
    config.mirror().kafka().forEach(props::put);
    props.keySet().retainAll(AdminClientConfig.configNames());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) (TIMEOUT_SECONDS * 1000));
    String clusterId;
    Map<String, TopicDescription> described;
    List<String> topics = new ArrayList<>();
    try (Admin admin = Admin.create(props)) {
      clusterId = admin.describeCluster().clusterId().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      Set<String> names = admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      List<String> missing = new ArrayList<>();
      if (settings.topicsRegex() == null) {
        for (String t : settings.topics()) {
          (names.contains(t) ? topics : missing).add(t);
        }
      } else {
        for (String t : new TreeSet<>(names)) {
          if (settings.changeTopic(t) && !t.startsWith("__")) {
            topics.add(t);
          }
        }
      }
      if (!missing.isEmpty()) {
        throw new InputException(
            "Kafka at "
                + settings.bootstrapServers()
                + " has no topic "
                + String.join(", ", missing)
                + " (source.topics in "
                + config.file()
                + "): check the names Debezium writes (<topic.prefix>.<schema>.<table>)");
      }
      if (topics.isEmpty()) {
        throw new InputException(
            "no topic of Kafka at "
                + settings.bootstrapServers()
                + " matches source.topics.regex="
                + settings.topicsRegex().pattern()
                + " in "
                + config.file());
      }
      String tx = settings.transactionTopic();
      if (!tx.isEmpty()) {
        if (!names.contains(tx)) {
          throw new InputException(
              "Kafka at "
                  + settings.bootstrapServers()
                  + " has no topic "
                  + tx
                  + " (source.transaction.topic): Debezium writes <topic.prefix>.transaction with"
                  + " provide.transaction.metadata=true");
        }
        described =
            admin
                .describeTopics(List.of(tx))
                .allTopicNames()
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (described.get(tx).partitions().size() != 1) {
          throw new InputException(
              "transaction topic "
                  + tx
                  + " has "
                  + described.get(tx).partitions().size()
                  + " partitions: its BEGIN and END records give the commit order only in one");
        }
      }
    } catch (ExecutionException | TimeoutException e) {
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new InputException(
          "cannot reach Kafka at source.bootstrap.servers="
              + settings.bootstrapServers()
              + " ("
              + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage())
              + "): check the brokers and the kafka.* security settings in "
              + config.file());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InputException("interrupted while checking Kafka");
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new InputException(
          "cannot use Kafka at source.bootstrap.servers="
              + settings.bootstrapServers()
              + ": "
              + e.getMessage()
              + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"));
    }
    List<TableId> tables = new ArrayList<>();
    for (String t : topics) {
      tableOf(t).ifPresent(tables::add);
    }
    List<String> problems = database.fullImageProblems(tables);
    if (!problems.isEmpty()) {
      throw new InputException(
          "the topics' tables do not log full row images, so rollbacks could write back values"
              + " the log left out:\n  "
              + String.join("\n  ", problems));
    }
    return new KafkaChecked(
        clusterId,
        List.copyOf(topics),
        List.copyOf(tables),
        java.time.Instant.now().toEpochMilli() * 1000L);
  }

  /** The table a change topic carries, by Debezium's naming: {@code <prefix>.<schema>.<table>}. */
  static Optional<TableId> tableOf(String topic) {
    String[] parts = topic.split("\\.");
    if (parts.length < 3 || topic.endsWith(".message") || topic.endsWith(".transaction")) {
      return Optional.empty();
    }
    return Optional.of(TableId.of(parts[parts.length - 2], parts[parts.length - 1]));
  }

  @Override
  public Prepared prepare(Checked checked, Journal journal, boolean acceptGap) {
    KafkaChecked k = (KafkaChecked) checked;
    SourceBinding current =
        new SourceBinding(
            config.connector().configName(),
            "kafka cluster " + k.clusterId(),
            config.database().isEmpty() ? config.host() + ":" + config.port() : config.database(),
            settings.describeTopics(),
            "",
            settings.bootstrapServers());
    Optional<SourceBinding> bound = journal.binding();
    bound.ifPresent(b -> b.refuseOther(journal.dir(), current));
    if (bound.isEmpty() || !bound.get().equals(current)) {
      journal.bind(current, 10_000);
      if (bound.isEmpty()) {
        LOG.info("Journal {} is bound to {}", journal.dir(), current.describe());
      }
    }
    boolean fresh = KafkaOffsets.read(journal.offsets()).isEmpty();
    return new Prepared() {
      @Override
      public boolean freshStart() {
        return fresh;
      }

      @Override
      public Map<String, String> settled() {
        return Map.of();
      }

      @Override
      public UnaryOperator<TableSchema> numbering() {
        return UnaryOperator.identity();
      }

      @Override
      public Companion companion(Journal journal, Duration tableCheck, Engine engine) {
        return Companion.NONE;
      }
    };
  }

  @Override
  public boolean ready(boolean snapshotPending) {
    return true;
  }

  @Override
  public SourceStatus status() {
    return new SourceStatus(
        Optional.of("the journal is built from Kafka topics: their lag is the Kafka source's"),
        "",
        false,
        false,
        "",
        "",
        -1,
        -1,
        "",
        "");
  }

  /** The end of every change partition and the transaction topic, as {@code topic@p=offset;…}. */
  @Override
  public String mark() {
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(
            KafkaIngest.consumerConfig(config, "rowguard-mark"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      c.listTopics(Duration.ofSeconds(TIMEOUT_SECONDS))
          .forEach(
              (topic, infos) -> {
                if (settings.changeTopic(topic) || topic.equals(settings.transactionTopic())) {
                  infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
                }
              });
      Map<TopicPartition, Long> ends =
          c.endOffsets(partitions, Duration.ofSeconds(TIMEOUT_SECONDS));
      StringBuilder out = new StringBuilder();
      new java.util.TreeMap<>(
              ends.entrySet().stream()
                  .collect(java.util.stream.Collectors.toMap(e -> e.getKey().toString(), e -> e)))
          .values()
          .forEach(
              e ->
                  out.append(out.length() == 0 ? "" : ";")
                      .append(e.getKey().topic())
                      .append('@')
                      .append(e.getKey().partition())
                      .append('=')
                      .append(e.getValue()));
      return out.toString();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new InputException(
          "cannot read the ends of the topics at source.bootstrap.servers="
              + settings.bootstrapServers()
              + ": "
              + e.getMessage());
    }
  }

  @Override
  public Lag lag(String mark, Journal journal) {
    Map<TopicPartition, Long> stored = KafkaOffsets.read(journal.offsets());
    if (stored.isEmpty()) {
      return new Lag("", -1, "records");
    }
    long behind = 0;
    for (String part : mark.isEmpty() ? new String[0] : mark.split(";")) {
      int at = part.lastIndexOf('@');
      int eq = part.lastIndexOf('=');
      TopicPartition tp =
          new TopicPartition(part.substring(0, at), Integer.parseInt(part.substring(at + 1, eq)));
      long end = Long.parseLong(part.substring(eq + 1));
      behind += Math.max(0, end - stored.getOrDefault(tp, 0L));
    }
    long journaled = stored.values().stream().mapToLong(Long::longValue).sum();
    return new Lag(
        journaled + " records read of " + stored.size() + " partition(s)", behind, "records");
  }
}
