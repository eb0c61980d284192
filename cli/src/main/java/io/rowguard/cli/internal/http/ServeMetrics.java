package io.rowguard.cli.internal.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rowguard.connectors.SourceStatus;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionListener;
import io.rowguard.core.TransactionSummary;
import io.rowguard.journal.ConsumerPositions;
import io.rowguard.journal.JournalStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metrics {@code /metrics} serves, in Prometheus's text format. Counters are counted as capture
 * journals (inside {@code capture}: changes by table and operation, rollbacks, guard violations);
 * gauges are read from the journal and the database when scraped, at most every {@link #REFRESH}.
 */
public final class ServeMetrics implements TransactionListener {
  private static final Logger LOG = LoggerFactory.getLogger(ServeMetrics.class);
  static final Duration REFRESH = Duration.ofSeconds(5);

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final RowguardConfig config;
  private final JournalAccess journal;
  private final Clock clock;
  private final Map<String, Counter> journaled = new ConcurrentHashMap<>();
  private final Counter rollbacks;
  private final Map<String, double[]> consumers = new ConcurrentHashMap<>();
  private volatile Reading reading;

  /** What the last look at the journal and the database found. */
  private record Reading(Instant at, JournalStatus journal, SourceStatus source) {}

  public ServeMetrics(RowguardConfig config, JournalAccess journal, Health health, Clock clock) {
    this.config = config;
    this.journal = journal;
    this.clock = clock;
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    rollbacks =
        Counter.builder("rowguard.rollbacks.applied")
            .description("rollbacks and backouts applied (journaled by capture, or applied here)")
            .register(registry);
    gauge(
        "rowguard.journal.size",
        "bytes",
        "the journal's size on disk",
        r -> r.journal().diskBytes());
    gauge(
        "rowguard.journal.entries", null, "changes the journal holds", r -> r.journal().entries());
    gauge(
        "rowguard.journal.last.commit.age",
        "seconds",
        "how long ago the newest journaled change was committed",
        r ->
            r.journal().lastCommitMicros().isEmpty()
                ? Double.NaN
                : (clock.millis() * 1000.0 - r.journal().lastCommitMicros().getAsLong()) / 1e6);
    gauge(
        "rowguard.source.lag",
        "bytes",
        "WAL the server wrote that the replication slot has not confirmed (PostgreSQL)",
        r ->
            r.source() == null || r.source().error().isPresent() || r.source().lagBytes() < 0
                ? Double.NaN // binlog sources: positions are GTIDs, not bytes
                : r.source().lagBytes());
    gauge(
        "rowguard.source.retained",
        "bytes",
        "WAL the server keeps for the replication slot (PostgreSQL)",
        r ->
            r.source() == null || r.source().error().isPresent()
                ? Double.NaN
                : r.source().retainedBytes());
    gauge(
        "rowguard.source.reachable",
        null,
        "1 when the database answered the last look, else 0",
        r -> r.source() != null && r.source().error().isEmpty() ? 1 : 0);
    Gauge.builder("rowguard.commit.journal.lag", health, Health::lagSeconds)
        .baseUnit("seconds")
        .description("how long the last freshness mark took from commit to journaled")
        .register(registry);
  }

  private void gauge(
      String name, String unit, String help, java.util.function.ToDoubleFunction<Reading> value) {
    Gauge.builder(name, this, m -> m.read().map(value::applyAsDouble).orElse(Double.NaN))
        .baseUnit(unit)
        .description(help)
        .register(registry);
  }

  /** The registry for other meters of this process (guard violations). */
  public MeterRegistry registry() {
    return registry;
  }

  /** The text {@code /metrics} answers with. */
  public String scrape() {
    read(); // consumers found since the last scrape are registered before it
    return registry.scrape();
  }

  @Override
  public void journaled(TransactionSummary t) {
    for (Map.Entry<TableId, TransactionSummary.TableCounts> e : t.tables().entrySet()) {
      String table = e.getKey().toString();
      count(table, "insert", e.getValue().inserts());
      count(table, "update", e.getValue().updates());
      count(table, "delete", e.getValue().deletes());
    }
    if (t.isRollback()) {
      rollbacks.increment();
    }
  }

  /** A rollback applied through this server, when no capture in this process journals it. */
  public void applied() {
    rollbacks.increment();
  }

  private void count(String table, String op, long n) {
    if (n > 0) {
      journaled
          .computeIfAbsent(
              table + "\u0000" + op,
              k ->
                  Counter.builder("rowguard.changes.journaled")
                      .description("row changes journaled")
                      .tag("table", table)
                      .tag("operation", op)
                      .register(registry))
          .increment(n);
    }
  }

  private synchronized java.util.Optional<Reading> read() {
    Reading r = reading;
    if (r != null && Duration.between(r.at(), clock.instant()).compareTo(REFRESH) < 0) {
      return java.util.Optional.of(r);
    }
    try {
      JournalStatus js =
          journal.read(
              j -> {
                JournalStatus s = j.status();
                for (ConsumerPositions.Position p : ConsumerPositions.list(config.journalDir())) {
                  double[] lag =
                      consumers.computeIfAbsent(
                          p.name(),
                          name -> {
                            double[] v = {0};
                            Gauge.builder("rowguard.consumer.lag", v, a -> a[0])
                                .baseUnit("entries")
                                .description("journal entries a consumer (the mirror) has not read")
                                .tag("consumer", name)
                                .register(registry);
                            return v;
                          });
                  lag[0] = Math.max(0, s.lastSeq() - p.seq());
                }
                return s;
              });
      SourceStatus ss = config.fromKafka() ? null : SourceStatus.probe(config);
      reading = new Reading(clock.instant(), js, ss);
    } catch (RuntimeException e) {
      LOG.debug("metrics: reading the journal failed", e);
      return java.util.Optional.ofNullable(reading);
    }
    return java.util.Optional.of(reading);
  }
}
