package io.rowguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rowguard.audit.Guard;
import io.rowguard.cli.internal.BackupView;
import io.rowguard.cli.internal.Bytes;
import io.rowguard.cli.internal.Control;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.MirrorTask;
import io.rowguard.cli.internal.RetentionTask;
import io.rowguard.cli.internal.RetryLog;
import io.rowguard.cli.internal.StopSignal;
import io.rowguard.cli.internal.http.JournalAccess;
import io.rowguard.cli.internal.http.Serving;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.SourceStatus;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TransactionListener;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.BackupInfo;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalBackups;
import io.rowguard.journal.JournalStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "capture",
    mixinStandardHelpOptions = true,
    description = {
      "Tail the database's write-ahead log and journal every committed row change, until stopped"
          + " with SIGTERM or Ctrl-C (which finish the current batch and commit it).",
      "The first start takes a snapshot of every captured table (op 'snapshot'), so every row has"
          + " a known base version. A restart resumes exactly after the last journaled"
          + " transaction: nothing is lost or journaled twice.",
      "A table that comes to match the include list (created while capture runs, or added while"
          + " it was stopped) is snapshotted, then followed. Each journal streams through its own"
          + " publication, which rowguard creates (named after the slot) and keeps; a journal is"
          + " bound to its database and refuses any other. Where the journal cannot hold every"
          + " change (a lost slot, a table without a primary key), it records a gap that status,"
          + " verify, history and rollbacks report.",
    },
    footer = {
      "",
      "Config file (properties). Keys under source. go to Debezium unchanged:",
      "  source.connector=postgres",
      "  source.database.hostname=127.0.0.1",
      "  source.database.port=5432",
      "  source.database.user=guard",
      "  source.database.password=$${env:GUARD_DB_PASSWORD}",
      "  source.database.dbname=shop",
      "  source.table.include.list=public.orders,public.customers",
      "  journal.dir=/var/lib/rowguard/shop",
      "  capture.fix-replica-identity=false   (true: run ALTER TABLE ... REPLICA IDENTITY FULL"
          + " where missing)",
      "  capture.warn-retained-wal=1GB         warn while the slot holds more WAL on the server",
      "",
      "Optional keys:",
      "  journal.retention=30d                 keep 30 days (each row's last older version too)",
      "  audit.actor-column.public.orders=updated_by   who wrote a row, when no message says",
      "  audit.actor-column.*=updated_by       the same for every table that has the column",
      "  guard.max-rows.public.orders=1000     warn when a transaction writes more rows",
      "  guard.max-rows.*=10000                ... of any other table",
      "  guard.protected-tables=public.payments,public.ledger   warn on any write",
      "  guard.require-actor=*                 warn on writes nobody is attributed for",
      "  guard.webhook.url=https://hooks.example.com/rowguard   POST each violation as JSON",
      "  guard.webhook.header.Authorization=Bearer $${env:HOOK_TOKEN}",
      "  mirror.enabled=true                   also publish every change to Kafka (see `rowguard"
          + " mirror --help` for mirror.bootstrap.servers and the rest)",
      "  serve.enabled=true                    also serve the web page, the API and /metrics"
          + " (see `rowguard serve --help` for serve.listen and the rest)",
      "",
      "PostgreSQL needs wal_level=logical, a user with REPLICATION (and SELECT on the tables),"
          + " and REPLICA IDENTITY FULL on every captured table; capture refuses to start"
          + " otherwise and prints the statement to run.",
      "",
      "From an existing Debezium's Kafka topics instead of rowguard's own engine:",
      "  source.connector=kafka",
      "  source.bootstrap.servers=kafka1:9092",
      "  source.topics=shop.public.orders,shop.public.customers   (or source.topics.regex=...)",
      "  source.transaction.topic=shop.transaction   (Debezium's provide.transaction.metadata)",
      "  apply.url=jdbc:postgresql://db:5432/shop    the database the topics describe",
      "  apply.user=rowguard_apply                   checks its tables, writes rollbacks",
      "  kafka.security.protocol=SASL_SSL            consumer settings, passed through",
      "The connector needs decimal.handling.mode=string and interval.handling.mode=string, and"
          + " its JsonConverter replace.null.with.default=false: rowguard stops naming each"
          + " column a connector sends in a form that loses values.",
    })
final class CaptureCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(CaptureCommand.class);

  @Mixin ConfigOption config;

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Option(
      names = "--accept-gap",
      description =
          "Start even though the journal is behind what the database still holds (after a"
              + " restore from an older backup, or a dropped replication slot): the missing range"
              + " is recorded as a gap, and rollbacks to moments inside it are refused.")
  boolean acceptGap;

  @Option(
      names = "--progress-interval",
      paramLabel = "SECONDS",
      defaultValue = "10",
      description = "How often to log progress to stderr (default: ${DEFAULT-VALUE}; 0: never).")
  long progressSeconds;

  @Override
  public Integer call() throws Exception {
    RowguardConfig cfg = config.load();
    if (!Logging.verbose()) {
      RetryLog.install();
      if (cfg.mirror().enabled() || cfg.fromKafka()) {
        // the Kafka client logs every failed connection and new topic; the mirror and the Kafka
        // source say what matters
        org.apache.logging.log4j.core.config.Configurator.setLevel(
            "org.apache.kafka.clients", org.apache.logging.log4j.Level.ERROR);
      }
    }
    try (StopSignal stop = StopSignal.install("rowguard", Duration.ofSeconds(90))) {
      run(cfg, stop);
    }
    return Main.OK;
  }

  /** Checks, opens, captures until asked to stop (or the capture fails), and closes in order. */
  private void run(RowguardConfig cfg, StopSignal stopRequested) throws Exception {
    // the database first: a refusal must leave no journal directory behind
    Capture.Checked checked = Capture.check(cfg);
    Path dir = cfg.journalDir();
    boolean existed = Files.exists(dir);
    Journal journal = Journal.openWriter(dir);
    AtomicReference<Capture> running = new AtomicReference<>();
    Serving serving = null;
    Guard guard;
    Capture capture;
    try {
      if (cfg.serve().enabled()) {
        serving =
            Serving.start(
                cfg,
                Main::commandLine,
                JournalAccess.of(journal),
                () -> streaming(running.get()),
                spec.commandLine().getOut(),
                clock);
      }
      MeterRegistry metrics =
          serving == null ? new SimpleMeterRegistry() : serving.metrics().registry();
      guard = new Guard(cfg.guard(), metrics, cfg.host() + ":" + cfg.port() + "/" + cfg.database());
      TransactionListener listener = serving == null ? guard : both(guard, serving.metrics());
      try {
        capture = Capture.start(checked, journal, new Capture.Options(listener, acceptGap));
      } catch (RuntimeException refused) {
        guard.close();
        throw refused;
      }
      running.set(capture);
    } catch (RuntimeException refused) {
      if (serving != null) {
        serving.close();
      }
      journal.close();
      if (!existed) {
        deleteQuietly(dir);
      }
      throw refused;
    }
    try (journal;
        AutoCloseable served = serving == null ? () -> {} : serving;
        guard;
        capture;
        RetentionTask retention =
            cfg.retention() == null
                ? null
                : new RetentionTask(journal, cfg.retention(), clock, Duration.ofSeconds(10));
        AutoCloseable control =
            Control.listen(cfg.journalDir(), request -> handle(journal, request))
                .map(AutoCloseable.class::cast)
                .orElse(() -> {});
        AutoCloseable mirror = MirrorTask.startIfEnabled(cfg, journal, capture, clock)) {
      long interval = progressSeconds <= 0 ? Long.MAX_VALUE : progressSeconds;
      long atStart = journal.changesCommitted();
      long lastCount = 0;
      long lastReceived = 0;
      long lastTime = System.nanoTime();
      long started = lastTime;
      long lastWalCheck = lastTime;
      // until the slot exists (Debezium creates it as it starts) the first look is retried
      boolean slotSeen = warnRetainedWal(cfg);
      while (!stopRequested.await(Math.min(interval, 1), TimeUnit.SECONDS)) {
        if (capture.awaitTermination(Duration.ZERO)) {
          break;
        }
        long now = System.nanoTime();
        if (!slotSeen || now - lastWalCheck >= WAL_CHECK.toNanos()) {
          slotSeen = warnRetainedWal(cfg) || now - started > WAL_CHECK.toNanos();
          lastWalCheck = now;
        }
        long received = capture.journaled();
        if (now - lastTime >= TimeUnit.SECONDS.toNanos(interval) && received != lastReceived) {
          long count = journal.changesCommitted() - atStart;
          progress(
              journal, capture, guard, count, lastCount, received - lastReceived, now - lastTime);
          lastCount = count;
          lastReceived = received;
          lastTime = now;
        }
      }
      if (capture.failure().isPresent()) {
        throw capture.failure().get();
      }
      LOG.info("Stopping: {} changes journaled since start", journal.changesCommitted() - atStart);
    }
  }

  /**
   * One progress line: what is committed (visible to every reader), and what is being received and
   * becomes visible at once when its transaction, or the snapshot, ends.
   */
  private static void progress(
      Journal journal,
      Capture capture,
      Guard guard,
      long count,
      long lastCount,
      long receivedSince,
      long nanos) {
    Capture.Receiving receiving = capture.receiving();
    long rate = Math.round(receivedSince / (nanos / 1e9));
    String violations = guard.violations() == 0 ? "" : "; guard violations: " + guard.violations();
    if (receiving.snapshot()) {
      LOG.info(
          "snapshot: {} rows read so far ({}/s); they become visible when it ends{}",
          receiving.changes(),
          rate,
          violations);
      return;
    }
    JournalStatus s = journal.status();
    LOG.info(
        "journaled {} changes since start ({}/s); journal holds {}, last commit {}{}{}",
        count,
        rate,
        s.entries(),
        s.lastCommitMicros().isPresent()
            ? ValueFormat.instant(s.lastCommitMicros().getAsLong())
            : "none",
        receiving.changes() > 0
            ? "; receiving a transaction: " + receiving.changes() + " changes so far"
            : "",
        violations);
  }

  /** Why {@code capture} is not streaming, for {@code /ready}; empty when it is. */
  private static java.util.Optional<String> streaming(Capture capture) {
    if (capture == null) {
      return java.util.Optional.of("capture is starting");
    }
    if (capture.state() != Capture.State.RUNNING) {
      return java.util.Optional.of("capture is " + capture.state().name().toLowerCase());
    }
    if (!capture.snapshotDone()) {
      return java.util.Optional.of("capture is taking its snapshot");
    }
    return java.util.Optional.empty();
  }

  private static TransactionListener both(TransactionListener a, TransactionListener b) {
    return t -> {
      a.journaled(t);
      b.journaled(t);
    };
  }

  /** How often capture looks at the WAL its slot holds. */
  static final Duration WAL_CHECK = Duration.ofMinutes(1);

  /**
   * Warns while the replication slot holds more WAL than {@code capture.warn-retained-wal}: the
   * server keeps every WAL file the slot may still need, on its own disk.
   */
  private static boolean warnRetainedWal(RowguardConfig cfg) {
    long limit = cfg.warnRetainedWalBytes();
    if (limit <= 0 || cfg.connector() != io.rowguard.core.ConnectorKind.POSTGRES) {
      return true; // a binlog source holds nothing back on the server
    }
    SourceStatus ss = SourceStatus.probe(cfg);
    if (ss.error().isPresent() || !ss.slotExists() || ss.retainedBytes() <= limit) {
      return ss.slotExists();
    }
    LOG.warn(
        "replication slot {} holds {} of WAL on the server (capture.warn-retained-wal={}; {}"
            + " of it not read by capture yet{}): the server keeps it until capture confirms it."
            + " If capture cannot catch up, max_slot_wal_keep_size caps it, at the price of a gap"
            + " in the journal when the cap is passed",
        ss.slot(),
        Bytes.format(ss.retainedBytes()),
        Bytes.format(limit),
        Bytes.format(Math.max(0, ss.lagBytes())),
        ss.walStatus().isEmpty() ? "" : ", wal_status " + ss.walStatus());
    return true;
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      LOG.debug("Could not delete {}", dir, e);
    }
  }

  /** A request on the control socket: only `backup` so far. */
  private static ObjectNode handle(Journal journal, JsonNode request) {
    String command = request.path("command").asText();
    if (!command.equals("backup")) {
      throw new IllegalArgumentException("unknown control command '" + command + "'");
    }
    String to = request.path("to").asText();
    if (to.isEmpty()) {
      throw new IllegalArgumentException("backup needs a target directory");
    }
    LOG.info("Backing the journal up to {} (asked by `rowguard backup`)", to);
    BackupInfo info = JournalBackups.backup(journal, Path.of(to));
    ObjectNode reply = Json.NODES.objectNode();
    reply.set("backup", BackupView.json(info));
    return reply;
  }
}
