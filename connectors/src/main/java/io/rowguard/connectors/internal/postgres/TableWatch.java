package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.internal.Snapshots;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, while capture runs, what makes the journal incomplete unless acted on, and acts:
 *
 * <ul>
 *   <li>a table that comes to match the include rules (created, or now with a primary key) is added
 *       to the journal's publication, so its changes stream from then on, and backfilled: Debezium
 *       snapshots it (a blocking snapshot) and its rows become base versions;
 *   <li>a table that matches but cannot be captured (no primary key; not in a publication rowguard
 *       may not change) is an open gap of that table, with the warning that says what to run;
 *   <li>a captured partitioned table whose partitions changed (attached, detached, dropped: rows
 *       come or go without a change in the log) is snapshotted again;
 *   <li>so is a captured table with an open gap that lost changes (a transaction that arrived short
 *       of what its END marker counts): its rows are known again from its new snapshot on.
 * </ul>
 *
 * Tables found without base versions when capture starts (added to the include list while it was
 * stopped) are backfilled the same way. One backfill runs at a time; its end is told by Debezium's
 * snapshot notice and written into the stream as a logical message, after every row of it.
 */
public final class TableWatch implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TableWatch.class);

  private final RowguardConfig config;
  private final Journal journal;
  private final String publication;
  private final boolean publicationOurs;
  private final Duration interval;
  private final Consumer<List<TableId>> snapshotter;
  private final Map<TableId, List<TableId>> known = new HashMap<>();
  // partitions when capture started: Debezium's table filter leaves them out until it restarts
  private final Set<TableId> leftOut = new java.util.HashSet<>();
  private final Set<TableId> pending = new LinkedHashSet<>();
  private final Set<TableId> reported = new LinkedHashSet<>();
  private final Set<Long> rebased = new java.util.HashSet<>();
  // the server's time at the previous look: a change found now happened after it
  private long lastLook;
  private final Thread thread;
  private List<TableId> inFlight = List.of();
  private volatile boolean closed;

  /**
   * @param captured the tables capture started with, and their partitions
   * @param unbased those of them without base versions: backfilled first
   * @param snapshotter asks Debezium for a blocking snapshot of the tables; throws while it cannot
   *     take the request yet
   */
  public TableWatch(
      RowguardConfig config,
      Journal journal,
      List<PostgresPreflight.CapturedTable> captured,
      List<TableId> unbased,
      String publication,
      boolean publicationOurs,
      Duration interval,
      Consumer<List<TableId>> snapshotter) {
    this.config = config;
    this.journal = journal;
    this.publication = publication;
    this.publicationOurs = publicationOurs;
    this.interval = interval;
    this.snapshotter = snapshotter;
    captured.forEach(t -> known.put(t.table(), t.partitions()));
    captured.forEach(t -> leftOut.addAll(t.partitions()));
    pending.addAll(unbased);
    for (Gap g : journal.openGaps()) {
      if (g.table() != null && g.changesLost()) {
        reported.add(g.table());
      }
    }
    this.thread = new Thread(this::run, "rowguard-table-watch");
    thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      try {
        round();
      } catch (RuntimeException e) {
        // the database may be restarting: capture says so itself; look again next time
        LOG.debug("Could not look for new tables: {}", e.getMessage(), e);
      }
    }
  }

  /** One look at the catalog, and a backfill started if one is due. */
  synchronized void round() {
    try (Connection c = PostgresPreflight.connect(config)) {
      long now = serverMicros(c);
      look(c);
      lastLook = now;
    } catch (SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
    // a captured table with an open gap that lost changes (a transaction that arrived short) is
    // snapshotted again: its rows are known once more from then on, and the gap closes
    for (Gap g : journal.openGaps()) {
      if (g.changesLost()
          && g.table() != null
          && known.containsKey(g.table())
          && !inFlight.contains(g.table())
          && rebased.add(g.seq())) {
        pending.add(g.table());
      }
    }
    if (inFlight.isEmpty() && !pending.isEmpty()) {
      List<TableId> tables = List.copyOf(pending);
      try {
        snapshotter.accept(tables);
      } catch (RuntimeException notYet) {
        LOG.debug("Debezium cannot take a snapshot request yet", notYet);
        return;
      }
      inFlight = tables;
      pending.clear();
      LOG.info("Snapshotting {} to give their rows base versions (a backfill)", tables);
    }
  }

  private void look(Connection c) throws SQLException {
    List<PostgresPreflight.CapturedTable> now;
    try {
      now = PostgresPreflight.capturedTables(config, c);
    } catch (InputException none) {
      return;
    }
    Set<TableId> inPublication = null;
    for (PostgresPreflight.CapturedTable t : now) {
      List<TableId> partitions = known.get(t.table());
      if (partitions != null) {
        if (!partitions.equals(t.partitions())) {
          known.put(t.table(), t.partitions());
          LOG.warn(
              "The partitions of {} changed (attached, detached or dropped: rows came or went"
                  + " without a change in the log); snapshotting it again",
              t.table());
          gap(t.table(), "the partitions of " + t.table() + " changed; it is snapshotted again");
          pending.add(t.table());
        }
        continue;
      }
      if (leftOut.contains(t.table())) {
        gap(
            t.table(),
            "table "
                + t.table()
                + " was a partition when capture started and is a table of its own now (detached);"
                + " capture leaves partitions out until it restarts: restart capture to capture it");
        continue;
      }
      if (!t.hasPrimaryKey()) {
        gap(
            t.table(),
            "table "
                + t.table()
                + " matches source.table.include.list but has no primary key, so it is not"
                + " captured; add one (rowguard then snapshots it) or leave it out of the list");
        continue;
      }
      if (!t.notFull().isEmpty() && config.fixReplicaIdentity()) {
        try (Statement s = c.createStatement()) {
          for (TableId r : t.notFull()) {
            s.execute("ALTER TABLE " + r.quoted() + " REPLICA IDENTITY FULL");
            LOG.info("Ran ALTER TABLE {} REPLICA IDENTITY FULL", r.quoted());
          }
        }
      }
      if (publicationOurs) {
        try (Statement s = c.createStatement()) {
          s.execute(
              "ALTER PUBLICATION "
                  + TableId.quote(publication)
                  + " ADD TABLE "
                  + t.table().quoted());
        } catch (SQLException e) {
          if (!"42710".equals(e.getSQLState())) { // already a member
            gap(
                t.table(),
                "table "
                    + t.table()
                    + " matches source.table.include.list but cannot be added to publication "
                    + publication
                    + " ("
                    + e.getMessage()
                    + "); as its owner run: ALTER PUBLICATION "
                    + TableId.quote(publication)
                    + " ADD TABLE "
                    + t.table().quoted()
                    + ";");
            continue;
          }
        }
      } else {
        if (inPublication == null) {
          Publication.State p = Publication.read(c, publication);
          inPublication = p.allTables() ? null : p.tables();
        }
        if (inPublication != null && !inPublication.contains(t.table())) {
          gap(
              t.table(),
              "table "
                  + t.table()
                  + " matches source.table.include.list but is not in publication "
                  + publication
                  + ", which rowguard did not create and does not change; as its owner run:"
                  + " ALTER PUBLICATION "
                  + TableId.quote(publication)
                  + " ADD TABLE "
                  + t.table().quoted()
                  + ";");
          continue;
        }
      }
      if (!t.notFull().isEmpty() && !config.fixReplicaIdentity()) {
        LOG.warn(
            "New table {} lacks REPLICA IDENTITY FULL: its before images come from the journal's"
                + " previous versions; run ALTER TABLE {} REPLICA IDENTITY FULL; (or set"
                + " capture.fix-replica-identity=true)",
            t.table(),
            t.table().quoted());
      }
      LOG.info("Found table {}: capturing it from now on", t.table());
      known.put(t.table(), t.partitions());
      pending.add(t.table());
    }
  }

  /** Records, once, an open gap of a table whose changes the journal does not get. */
  private void gap(TableId table, String reason) {
    if (!reported.add(table)) {
      return;
    }
    LOG.warn("{}; recorded as a gap", reason);
    journal.recordGap(
        Gap.openForTable(table, lastLook > 0 ? lastLook : serverMicros(null), "", reason, true),
        PostgresStart.RECORD_TIMEOUT_MILLIS);
  }

  /** The server's clock, through {@code c} (or a connection of its own when null). */
  private long serverMicros(Connection c) {
    try (Connection own = c == null ? PostgresPreflight.connect(config) : null;
        Statement s = (c == null ? own : c).createStatement();
        ResultSet rs =
            s.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException | RuntimeException e) {
      return System.currentTimeMillis() * 1000L;
    }
  }

  /**
   * Debezium's word on a snapshot. When the backfill completed, its end goes into the stream, after
   * its rows; when it was aborted, it is asked for again.
   */
  public synchronized void snapshotNotice(String type) {
    if (inFlight.isEmpty()) {
      return; // the initial snapshot
    }
    if ("COMPLETED".equals(type)) {
      emitDone(inFlight);
      reported.removeAll(inFlight);
      inFlight = List.of();
    } else if ("ABORTED".equals(type)) {
      LOG.warn("The snapshot of {} was aborted; it is asked for again", inFlight);
      pending.addAll(inFlight);
      inFlight = List.of();
    }
  }

  private void emitDone(List<TableId> tables) {
    try (Connection c = PostgresPreflight.connect(config);
        PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
      ps.setString(1, Snapshots.DONE_PREFIX);
      ps.setString(2, Snapshots.doneMessage(tables));
      ps.execute();
    } catch (SQLException | RuntimeException e) {
      LOG.warn(
          "Could not mark the end of the snapshot of {} ({}); it is taken again",
          tables,
          e.getMessage());
      pending.addAll(tables);
    }
  }

  /** Tables waiting for, or in, a backfill. */
  public synchronized List<TableId> backfilling() {
    List<TableId> out = new ArrayList<>(inFlight);
    out.addAll(pending);
    return out;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
