package io.rowguard.connectors;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import io.rowguard.connectors.internal.CaptureSession;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.JournalingConsumer;
import io.rowguard.connectors.internal.Reconnects;
import io.rowguard.connectors.internal.RecordTranslator;
import io.rowguard.connectors.internal.Source;
import io.rowguard.connectors.internal.kafka.KafkaIngest;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionListener;
import io.rowguard.journal.Journal;
import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running capture: Debezium Embedded tailing the database's log into a {@link Journal}.
 *
 * <p>Lifecycle: {@link #start} checks the database (exit-2 problems surface here as {@link
 * InputException}) and starts the engine on its own thread; {@link #close} stops it cleanly, after
 * which everything it delivered is journaled and its offsets committed. {@link #awaitTermination}
 * waits for the engine to stop on its own (a failure).
 */
public final class Capture implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Capture.class);

  /** States in order; a capture only moves forward. */
  public enum State {
    RUNNING,
    STOPPING,
    STOPPED,
    FAILED
  }

  private final RowguardConfig config;
  private final CaptureSession session;
  private final JournalingConsumer consumer;
  private final java.util.function.Supplier<DebeziumEngine<RecordChangeEvent<SourceRecord>>>
      engines;
  private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
  private volatile Thread thread;

  /** Waits to start the engine again after it lost its connection while starting; else null. */
  private volatile Thread restarter;

  private final CountDownLatch finished = new CountDownLatch(1);
  private final AtomicReference<State> state = new AtomicReference<>(State.RUNNING);
  private final AtomicReference<CaptureException> failure = new AtomicReference<>();
  private final List<TableId> tables;
  private final Source.Companion companion;
  private final Source source;

  /**
   * How a capture starts.
   *
   * @param listener told about each journaled transaction (guard rules)
   * @param acceptGap go on when the journal is behind what the source still holds (after a restore
   *     from an older backup), recording the gap; without it such a start is refused
   */
  public record Options(TransactionListener listener, boolean acceptGap, Duration tableCheck) {
    /** How often capture looks for tables that came to match the include rules, by default. */
    public static final Duration TABLE_CHECK = Duration.ofSeconds(10);

    // after TABLE_CHECK, which it uses
    public static final Options DEFAULT = new Options(TransactionListener.NONE, false);

    public Options {
      tableCheck = tableCheck == null ? TABLE_CHECK : tableCheck;
    }

    public Options(TransactionListener listener, boolean acceptGap) {
      this(listener, acceptGap, TABLE_CHECK);
    }
  }

  /**
   * A source that passed its checks, before any journal is opened: a refusal (exit 2) leaves no
   * journal directory behind.
   */
  public static final class Checked {
    private final RowguardConfig config;
    private final Source source;
    private final Source.Checked result;

    private Checked(RowguardConfig config, Source source, Source.Checked result) {
      this.config = config;
      this.source = source;
      this.result = result;
    }

    public RowguardConfig config() {
      return config;
    }

    public List<TableId> tables() {
      return result.tables();
    }
  }

  private Capture(
      RowguardConfig config,
      Journal journal,
      Source source,
      Source.Checked checked,
      Source.Prepared prepared,
      Options options) {
    this.config = config;
    this.source = source;
    this.tables = checked.tables();
    this.session = CaptureSession.register(journal);
    // tables whose rows have base versions; a journal from before these were recorded had all of
    // its tables snapshotted when it began
    Set<TableId> based = new HashSet<>(journal.basedTables().keySet());
    if (based.isEmpty() && journal.lastSeq() > 0) {
      based.addAll(journal.tables());
    }
    this.consumer =
        new JournalingConsumer(
            session,
            new RecordTranslator(
                DebeziumSettings.placeholder(config),
                checked.serverMicros(),
                config.actorColumns(),
                prepared.numbering()),
            options.listener(),
            // a start without offsets snapshots every table, unless told not to (snapshot.mode)
            prepared.freshStart()
                    && "initial"
                        .equalsIgnoreCase(DebeziumSettings.engineSetting(config, "snapshot.mode"))
                ? tables
                : List.of(),
            based);
    consumer.serverAhead(checked.serverMicros() - System.currentTimeMillis() * 1000);
    this.companion =
        prepared.companion(
            journal,
            options.tableCheck(),
            new Source.Engine() {
              @Override
              public boolean streaming() {
                return state.get() == State.RUNNING && !consumer.initialSnapshotPending();
              }

              @Override
              public boolean heard(String id) {
                return consumer.backfillHeard(id);
              }

              @Override
              public void snapshot(List<TableId> tables) {
                requestSnapshot(tables);
              }
            });
    session.onSnapshotNotice(companion::snapshotNotice);
    this.engines =
        config.fromKafka()
            ? () -> new KafkaIngest(config, session, consumer, this::completed)
            : () ->
                DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                    .using(
                        DebeziumSettings.engineProperties(config, session.id(), prepared.settled()))
                    .using(OffsetCommitPolicy.always())
                    .using(this::completed)
                    .notifying(consumer)
                    .build();
    this.engine = engines.get();
    this.thread = new Thread(engine, "rowguard-capture");
  }

  /** The version of Debezium, the engine capture runs. */
  public static String debeziumVersion() {
    return io.debezium.Module.version();
  }

  /** Checks the database and starts capturing into {@code journal}, which the caller owns. */
  public static Capture start(RowguardConfig config, Journal journal) {
    return start(config, journal, Options.DEFAULT);
  }

  /**
   * Checks the database and the journal's position on it, and starts capturing into {@code
   * journal}, which the caller owns.
   */
  public static Capture start(RowguardConfig config, Journal journal, Options options) {
    return start(check(config), journal, options);
  }

  /**
   * Checks the database: reachable, logical decoding on, every captured table identifiable and
   * logging full rows, the user's privileges. Touches no journal. Problems are one {@link
   * InputException} naming each, with the statement to run.
   */
  public static Checked check(RowguardConfig config) {
    Source source = Source.of(config);
    return new Checked(config, source, source.check());
  }

  /**
   * Settles the journal with the source (it belongs to this database, the publication is its own,
   * no changes lost since it stopped, or the gap accepted) and starts capturing into {@code
   * journal}, which the caller owns.
   */
  public static Capture start(Checked checked, Journal journal, Options options) {
    RowguardConfig config = checked.config;
    journal.discardIncomplete();
    Source.Prepared prepared = checked.source.prepare(checked.result, journal, options.acceptGap());
    Capture capture =
        new Capture(config, journal, checked.source, checked.result, prepared, options);
    capture.thread.start();
    capture.companion.start();
    if (config.fromKafka()) {
      LOG.info(
          "Journaling {} table(s) from the {} at {} into {}",
          capture.tables.size(),
          config.kafkaSource().describeTopics(),
          config.kafkaSource().bootstrapServers(),
          journal.dir());
    } else {
      LOG.info(
          "Capturing {} table(s) of {} at {}:{} into {}",
          capture.tables.size(),
          config.database(),
          config.host(),
          config.port(),
          journal.dir());
    }
    return capture;
  }

  private void completed(boolean success, String message, Throwable error) {
    if (!success
        && state.get() == State.RUNNING
        && ownCause(error) == null
        && Reconnects.lostConnection(error)) {
      restartLater(error);
      return; // the next engine's end counts down finished, or a close meanwhile does
    }
    if (!success && state.get() == State.RUNNING) {
      String why = message == null ? "the capture engine stopped" : message;
      io.rowguard.core.RowguardException own = ownCause(error);
      if (own != null) {
        // the journal's own words: what failed, where, and what to do
        why = own.getMessage();
      } else if (error != null && error.getMessage() != null && !why.contains(error.getMessage())) {
        why = why + ": " + rootMessage(error);
      }
      failure.set(new CaptureException(why, error));
      state.set(State.FAILED);
    } else if (!success && error != null) {
      failure.compareAndSet(null, new CaptureException(message, error));
    }
    finished.countDown();
  }

  /**
   * Debezium retries a connection lost while streaming, but not one lost while its task starts
   * again (a server restarting just then: "Couldn't initialize type registry"), and the engine
   * stops. Capture then starts a new engine after Debezium's own retry wait; it resumes from the
   * journal's last transaction, as any restart does.
   */
  private void restartLater(Throwable error) {
    long waitMillis =
        Long.parseLong(
            java.util.Objects.requireNonNullElse(
                DebeziumSettings.engineSetting(config, "retriable.restart.connector.wait.ms"),
                "10000"));
    LOG.warn(
        "Capture lost its connection to {} at {}:{} while the source was starting again ({});"
            + " starting again in {} ms from the journal's last transaction",
        config.database(),
        config.host(),
        config.port(),
        rootMessage(error),
        waitMillis);
    Thread t =
        new Thread(
            () -> {
              try {
                Thread.sleep(waitMillis);
              } catch (InterruptedException e) {
                // a close: the state says so below
              }
              synchronized (this) {
                restarter = null;
                if (state.get() != State.RUNNING) {
                  finished.countDown();
                  return;
                }
                engine = engines.get();
                thread = new Thread(engine, "rowguard-capture");
                thread.start();
              }
            },
            "rowguard-capture-restart");
    t.setDaemon(true);
    restarter = t;
    t.start();
  }

  private static io.rowguard.core.RowguardException ownCause(Throwable t) {
    for (Throwable c = t; c != null && c.getCause() != c; c = c.getCause()) {
      if (c instanceof io.rowguard.core.RowguardException r) {
        return r;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  public List<TableId> tables() {
    return tables;
  }

  public State state() {
    return state.get();
  }

  /** Entries this capture has journaled since it started, committed or not. */
  public long journaled() {
    return consumer.journaled();
  }

  /**
   * Changes of the snapshot or transaction being received, not committed yet (0 between
   * transactions), and whether it is the snapshot.
   */
  public Receiving receiving() {
    return new Receiving(consumer.receiving(), consumer.snapshotting());
  }

  /** What is arriving and not yet committed. */
  public record Receiving(long changes, boolean snapshot) {}

  /**
   * True while capture is behind its source (what it journals committed a second or more ago, by
   * the source's clock as measured when capture started): the in-process mirror then yields to it.
   */
  public boolean behind() {
    return consumer.behind();
  }

  /** True once the initial snapshot was journaled by this capture. */
  public boolean snapshotDone() {
    return consumer.snapshotDone();
  }

  /** The failure that stopped the engine, if it failed. */
  public Optional<CaptureException> failure() {
    return Optional.ofNullable(failure.get());
  }

  /**
   * Waits until the source holds every change for this capture (for PostgreSQL: the replication
   * slot exists; for a binlog source: the snapshot has its binlog position), so that whatever is
   * committed from now on will be journaled. Returns false on timeout or if the capture failed.
   */
  public boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (state.get() != State.RUNNING) {
        return false;
      }
      if (source.ready(consumer.initialSnapshotPending())) {
        return true;
      }
      Thread.sleep(100);
    }
    return false;
  }

  /** Waits until the engine stops by itself, or the timeout passes; returns true if it stopped. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Asks Debezium to snapshot {@code tables} (a blocking snapshot): a backfill. */
  private void requestSnapshot(List<TableId> tables) {
    var data = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode();
    var collections = data.putArray("data-collections");
    // patterns, matched against schema.table: quoted, so a name is only itself
    tables.forEach(
        t -> collections.add(java.util.regex.Pattern.quote(t.schema() + "." + t.name())));
    data.put("type", "blocking");
    engine
        .getSignaler()
        .signal(
            new DebeziumEngine.Signal(
                java.util.UUID.randomUUID().toString(),
                "execute-snapshot",
                data.toString(),
                Map.of()));
  }

  /** Tables waiting for, or in, a backfill: their rows are not base versions yet. */
  public List<TableId> backfilling() {
    return companion.backfilling();
  }

  /** Stops the engine cleanly and waits for it: every delivered change is journaled. */
  @Override
  public void close() {
    if (!state.compareAndSet(State.RUNNING, State.STOPPING) && state.get() != State.FAILED) {
      return;
    }
    companion.close();
    try {
      DebeziumEngine<?> running;
      synchronized (this) { // no restart starts an engine once the state is STOPPING
        Thread waiting = restarter;
        running = waiting == null ? engine : null;
        if (waiting != null) {
          waiting.interrupt();
        }
      }
      if (running != null && finished.getCount() > 0) { // a failed engine has stopped already
        closeEngine(running, finished);
      }
      if (!finished.await(60, TimeUnit.SECONDS)) {
        LOG.warn("Capture engine did not stop within 60 s");
      }
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (IOException e) {
      LOG.warn("Error while stopping the capture engine", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      state.compareAndSet(State.STOPPING, State.STOPPED);
      session.unregister();
    }
  }

  /**
   * Debezium refuses to stop an engine whose tasks are still starting; a stop requested then
   * (SIGTERM right after start) waits for the start to finish.
   */
  static void closeEngine(DebeziumEngine<?> engine, CountDownLatch finished)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (finished.getCount() > 0) {
      try {
        engine.close();
        return;
      } catch (IllegalStateException starting) {
        if (System.nanoTime() > deadline) {
          throw starting;
        }
        Thread.sleep(100);
      }
    }
  }

  @Override
  public String toString() {
    return "Capture["
        + config.database()
        + "@"
        + config.host()
        + ":"
        + config.port()
        + ", "
        + state.get()
        + "]";
  }
}
