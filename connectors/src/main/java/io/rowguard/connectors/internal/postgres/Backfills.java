package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.internal.Snapshots;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfills {@link TableWatch} asks for, one at a time: announced in the stream by a logical
 * message carrying its id, asked of Debezium once capture has heard the announcement, ended in the
 * stream by a second message once Debezium's notices say the snapshot completed. An aborted
 * snapshot is asked for again, {@value #ATTEMPTS} times at most; then its tables are gaps. Used by
 * the watch's thread only.
 */
final class Backfills {
  private static final Logger LOG = LoggerFactory.getLogger(Backfills.class);
  static final int ATTEMPTS = 3;

  private final RowguardConfig config;
  private final io.rowguard.connectors.internal.Source.Engine source;
  private final BiConsumer<TableId, String> gap;
  private final Set<TableId> pending = new LinkedHashSet<>();
  private final Map<TableId, Integer> aborted = new HashMap<>();
  private String id;
  private boolean requested;
  private boolean running;
  private volatile List<TableId> inFlight = List.of();

  /**
   * @param gap records an open gap of a table, with the reason
   */
  Backfills(
      RowguardConfig config,
      io.rowguard.connectors.internal.Source.Engine source,
      BiConsumer<TableId, String> gap) {
    this.config = config;
    this.source = source;
    this.gap = gap;
  }

  /** {@code table} is to be snapshotted, with the next backfill. */
  void add(TableId table) {
    pending.add(table);
  }

  /** True if {@code table} waits for the next backfill or is in the current one. */
  boolean has(TableId table) {
    return pending.contains(table) || inFlight.contains(table);
  }

  /** Tables in the backfill under way; any thread may ask. */
  List<TableId> backfilling() {
    return inFlight;
  }

  /** Announces the next backfill in the stream, if one is due and none runs. */
  void startIfDue(Connection c) throws SQLException {
    if (!inFlight.isEmpty() || pending.isEmpty() || !source.streaming()) {
      return;
    }
    List<TableId> tables = List.copyOf(pending);
    String next = UUID.randomUUID().toString();
    emit(c, Snapshots.START_PREFIX, Snapshots.message(next, tables));
    id = next;
    requested = false;
    running = false;
    inFlight = tables;
    pending.clear();
    request();
  }

  /** True while a backfill is announced and not asked for yet. */
  boolean announced() {
    return !inFlight.isEmpty() && !requested;
  }

  /** Asks for the announced backfill once capture has heard its announcement. */
  void request() {
    if (!source.heard(id)) {
      return;
    }
    try {
      source.snapshot(inFlight);
    } catch (RuntimeException notYet) {
      LOG.debug("Debezium cannot take a snapshot request yet", notYet);
      return;
    }
    requested = true;
    LOG.info("Snapshotting {} to give their rows base versions (a backfill)", inFlight);
  }

  /**
   * Debezium's word on a snapshot ({@code STARTED}, {@code COMPLETED}, {@code ABORTED}, …); returns
   * the tables whose backfill it completed.
   */
  List<TableId> notice(String type) {
    if (!requested) {
      return List.of(); // the initial snapshot's, or not ours
    }
    switch (type) {
      case "STARTED" -> running = true;
      case "COMPLETED" -> {
        if (!running) {
          return List.of();
        }
        List<TableId> done = inFlight;
        finish();
        try (Connection c = PostgresPreflight.connect(config)) {
          emit(c, Snapshots.DONE_PREFIX, Snapshots.message(id, done));
        } catch (SQLException | RuntimeException e) {
          LOG.warn(
              "Could not mark the end of the snapshot of {} ({}); it is taken again",
              done,
              e.getMessage());
          pending.addAll(done);
          return List.of();
        }
        done.forEach(aborted::remove);
        return done;
      }
      case "ABORTED" -> {
        List<TableId> failed = inFlight;
        finish();
        LOG.warn("The snapshot of {} was aborted", failed);
        for (TableId t : failed) {
          int n = aborted.merge(t, 1, Integer::sum);
          if (n < ATTEMPTS) {
            pending.add(t);
          } else {
            gap.accept(
                t,
                "the snapshot of "
                    + t
                    + " failed "
                    + n
                    + " times (Debezium's log, with --verbose, says why); capture asks again when"
                    + " it restarts");
          }
        }
      }
      default -> {}
    }
    return List.of();
  }

  private void finish() {
    inFlight = List.of();
    requested = false;
    running = false;
  }

  private static void emit(Connection c, String prefix, String content) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
      ps.setString(1, prefix);
      ps.setString(2, content);
      ps.execute();
    }
  }
}
