package io.rowguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rowguard.audit.Guard;
import io.rowguard.cli.internal.BackupView;
import io.rowguard.cli.internal.Control;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.RetentionTask;
import io.rowguard.connectors.Capture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.BackupInfo;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalBackups;
import io.rowguard.journal.JournalStatus;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
    },
    footer = {
      "",
      "Config file (properties). Keys under source. go to Debezium unchanged:",
      "  source.connector=postgres",
      "  source.database.hostname=127.0.0.1",
      "  source.database.port=5432",
      "  source.database.user=guard",
      "  source.database.password=${env:GUARD_DB_PASSWORD}",
      "  source.database.dbname=shop",
      "  source.table.include.list=public.orders,public.customers",
      "  journal.dir=/var/lib/rowguard/shop",
      "  capture.fix-replica-identity=false   (true: run ALTER TABLE ... REPLICA IDENTITY FULL"
          + " where missing)",
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
      "  guard.webhook.header.Authorization=Bearer ${env:HOOK_TOKEN}",
      "",
      "PostgreSQL needs wal_level=logical, a user with REPLICATION (and SELECT on the tables),"
          + " and REPLICA IDENTITY FULL on every captured table; capture refuses to start"
          + " otherwise and prints the statement to run.",
    })
final class CaptureCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(CaptureCommand.class);

  @Mixin ConfigOption config;

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
    CountDownLatch stopRequested = new CountDownLatch(1);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              stopRequested.countDown();
              try {
                stopped.await(90, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "rowguard-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    handleStopSignals(stopRequested);
    MeterRegistry metrics = new SimpleMeterRegistry();
    try (Journal journal = Journal.openWriter(cfg.journalDir());
        Guard guard =
            new Guard(cfg.guard(), metrics, cfg.host() + ":" + cfg.port() + "/" + cfg.database());
        Capture capture = Capture.start(cfg, journal, new Capture.Options(guard, acceptGap));
        RetentionTask retention =
            cfg.retention() == null
                ? null
                : new RetentionTask(journal, cfg.retention(), clock, Duration.ofSeconds(10));
        AutoCloseable control =
            Control.listen(cfg.journalDir(), request -> handle(journal, request))
                .map(AutoCloseable.class::cast)
                .orElse(() -> {})) {
      long interval = progressSeconds <= 0 ? Long.MAX_VALUE : progressSeconds;
      long lastCount = 0;
      long lastTime = System.nanoTime();
      while (!stopRequested.await(Math.min(interval, 1), TimeUnit.SECONDS)) {
        if (capture.awaitTermination(Duration.ZERO)) {
          break;
        }
        long now = System.nanoTime();
        long count = capture.journaled();
        if (now - lastTime >= TimeUnit.SECONDS.toNanos(interval) && count != lastCount) {
          JournalStatus s = journal.status();
          double rate = (count - lastCount) / ((now - lastTime) / 1e9);
          LOG.info(
              "journaled {} changes since start ({}/s); journal holds {}, last commit {}{}",
              count,
              Math.round(rate),
              s.entries(),
              s.lastCommitMicros().isPresent()
                  ? ValueFormat.instant(s.lastCommitMicros().getAsLong())
                  : "none",
              guard.violations() == 0 ? "" : "; guard violations: " + guard.violations());
          lastCount = count;
          lastTime = now;
        }
      }
      if (capture.failure().isPresent()) {
        throw capture.failure().get();
      }
      LOG.info("Stopping: {} changes journaled since start", capture.journaled());
    } finally {
      stopped.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it waits for `stopped`
      }
    }
    return Main.OK;
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

  /**
   * SIGTERM and SIGINT ask the capture to stop; it finishes and commits the current batch and the
   * command exits 0. Where the signals cannot be handled, the shutdown hook still stops cleanly.
   */
  @SuppressWarnings("restriction")
  private static void handleStopSignals(CountDownLatch stopRequested) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopRequested.countDown());
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        LOG.debug("Cannot handle SIG{}; the shutdown hook will stop the capture", name, e);
      }
    }
  }
}
