package io.rowguard.connectors.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, while capture runs, what makes the journal incomplete unless acted on, and acts:
 *
 * <ul>
 *   <li>a table that comes to match the include rules (created, or now with a primary key) is added
 *       to the journal's publication, so its changes stream from then on, and backfilled: Debezium
 *       snapshots it (a blocking snapshot) and its rows become base versions;
 *   <li>a table that matches but cannot be captured (no primary key, no SELECT, not in a
 *       publication rowguard may not change, a partition detached since the start) is an open gap
 *       of that table, with the warning that says what to run;
 *   <li>a captured partitioned table whose partitions changed (attached, detached, dropped) or one
 *       of whose partitions was truncated or rewritten (its file changed: a truncate of one
 *       partition is not in the log) is snapshotted again, and so is a captured table with an open
 *       gap that lost changes (a transaction that arrived short of what its END marker counts).
 * </ul>
 *
 * Tables found without base versions when capture starts are backfilled the same way. One backfill
 * runs at a time, with an id: a logical message marks its start in the stream and the snapshot is
 * asked for only once capture has heard it, so every row of the backfill comes after it; once
 * Debezium's snapshot notices say it completed, another message marks its end, after every row of
 * it. Everything runs on this object's own thread (Debezium's notices are queued to it); gaps are
 * written between two source transactions, retried until there is one.
 */
public final class TableWatch implements io.rowguard.connectors.internal.Source.Companion {
  private static final Logger LOG = LoggerFactory.getLogger(TableWatch.class);
  private static final long HEARING_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  private final RowguardConfig config;
  private final Journal journal;
  private final String publication;
  private final boolean publicationOurs;
  private final Duration interval;
  private final Backfills backfills;
  private final BlockingQueue<String> notices = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  // the watch thread's own state
  private final Map<TableId, List<TableId>> known = new HashMap<>();
  private final Set<TableId> leftOut = new HashSet<>();
  private final Set<TableId> reported = new HashSet<>();
  private final Set<Long> rebased = new HashSet<>();
  private final List<Gap> unwritten = new ArrayList<>();
  private Map<TableId, Long> filenodes;
  private long lastLook;
  private int versionNum;

  /**
   * @param captured the tables capture started with, and their partitions
   * @param unbased those of them without base versions: backfilled first
   */
  public TableWatch(
      RowguardConfig config,
      Journal journal,
      List<PostgresPreflight.CapturedTable> captured,
      List<TableId> unbased,
      String publication,
      boolean publicationOurs,
      Duration interval,
      io.rowguard.connectors.internal.Source.Engine source) {
    this.config = config;
    this.journal = journal;
    this.publication = publication;
    this.publicationOurs = publicationOurs;
    this.interval = interval;
    this.backfills = new Backfills(config, source, this::gap);
    captured.forEach(t -> known.put(t.table(), t.partitions()));
    captured.forEach(t -> leftOut.addAll(t.partitions()));
    unbased.forEach(backfills::add);
    for (Gap g : journal.openGaps()) {
      if (g.table() != null && g.changesLost() && !known.containsKey(g.table())) {
        reported.add(g.table()); // an uncaptured table's gap, recorded by an earlier capture
      }
    }
    this.thread = new Thread(this::run, "rowguard-table-watch");
    thread.setDaemon(true);
  }

  @Override
  public void start() {
    thread.start();
  }

  /** Debezium's word on a snapshot ({@code STARTED}, {@code COMPLETED}, {@code ABORTED}, …). */
  @Override
  public void snapshotNotice(String type) {
    notices.add(type);
  }

  /** Tables in the backfill under way; any thread may ask. */
  @Override
  public List<TableId> backfilling() {
    return backfills.backfilling();
  }

  private void run() {
    long next = System.nanoTime() + interval.toNanos();
    while (!closed) {
      try {
        long wait = next - System.nanoTime();
        if (backfills.announced()) {
          wait = Math.min(wait, HEARING_NANOS);
        }
        String notice = notices.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
        if (notice != null) {
          notice(notice);
          continue;
        }
      } catch (InterruptedException e) {
        return;
      }
      if (backfills.announced()) {
        backfills.request();
      }
      if (System.nanoTime() - next < 0) {
        continue;
      }
      next = System.nanoTime() + interval.toNanos();
      try {
        round();
      } catch (RuntimeException e) {
        // the database may be restarting (capture says so itself): look again next time
        LOG.debug("Could not look for new tables: {}", e.getMessage(), e);
      }
    }
  }

  /** One look at the catalog; gaps written, a backfill started if one is due. */
  void round() {
    writeGaps();
    try (Connection c = PostgresPreflight.connect(config)) {
      long now = serverMicros(c);
      look(c);
      lastLook = now;
      backfills.startIfDue(c);
    } catch (SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
    writeGaps();
  }

  private void look(Connection c) throws SQLException {
    List<PostgresPreflight.CapturedTable> now;
    try {
      now = PostgresPreflight.capturedTables(config, c);
    } catch (InputException none) {
      return;
    }
    if (versionNum == 0) {
      versionNum = version(c);
    }
    // a captured table with an open gap that lost changes is snapshotted again, which closes it
    for (Gap g : journal.openGaps()) {
      if (g.changesLost()
          && g.table() != null
          && known.containsKey(g.table())
          && !backfills.has(g.table())
          && rebased.add(g.seq())) {
        backfills.add(g.table());
      }
    }
    watchPartitionFiles(c, now);
    Publication.State pub = null;
    for (PostgresPreflight.CapturedTable t : now) {
      List<TableId> partitions = known.get(t.table());
      if (partitions != null) {
        if (!partitions.equals(t.partitions())) {
          known.put(t.table(), t.partitions());
          gap(
              t.table(),
              "the partitions of "
                  + t.table()
                  + " changed (attached, detached or dropped: rows came or went without a change"
                  + " in the log); it is snapshotted again");
          backfills.add(t.table());
        }
        continue;
      }
      String why = uncapturable(t);
      if (why != null) {
        gap(t.table(), why);
        continue;
      }
      if (pub == null) {
        pub = Publication.read(c, publication);
      }
      if (!pub.allTables() && !pub.tables().contains(t.table()) && !addToPublication(c, t)) {
        continue;
      }
      if (!t.notFull().isEmpty()) {
        fixOrWarn(c, t);
      }
      LOG.info("Found table {}: capturing it from now on", t.table());
      known.put(t.table(), t.partitions());
      backfills.add(t.table());
    }
  }

  /** Why a newly matching table cannot be captured, or null. */
  private String uncapturable(PostgresPreflight.CapturedTable t) {
    String table = "table " + t.table() + " matches source.table.include.list but ";
    if (leftOut.contains(t.table())) {
      return table
          + "was a partition when capture started (detached since); capture leaves partitions out"
          + " until it restarts: restart capture to capture it";
    }
    if (!t.hasPrimaryKey()) {
      return table
          + "has no primary key, so it is not captured; add one (rowguard then snapshots it) or"
          + " leave it out of the list";
    }
    if (!t.canSelect()) {
      return table
          + "user "
          + config.user()
          + " may not read it; run: GRANT SELECT ON "
          + POSTGRES.quote(t.table())
          + " TO "
          + POSTGRES.quote(config.user())
          + ";";
    }
    if (versionNum < 140000) {
      return table
          + "PostgreSQL before 14 does not stream the logical messages a backfill needs: capture"
          + " it with a new journal, or upgrade";
    }
    return null;
  }

  /** Adds a table to this journal's publication; false (and a gap) where it may not. */
  private boolean addToPublication(Connection c, PostgresPreflight.CapturedTable t) {
    String add =
        "ALTER PUBLICATION "
            + POSTGRES.quote(publication)
            + " ADD TABLE "
            + POSTGRES.quote(t.table());
    if (!publicationOurs) {
      gap(
          t.table(),
          "table "
              + t.table()
              + " matches source.table.include.list but is not in publication "
              + publication
              + ", which rowguard did not create and does not change; as its owner run: "
              + add
              + ";");
      return false;
    }
    try (Statement s = c.createStatement()) {
      s.execute(add);
      LOG.info("Ran {}", add);
      return true;
    } catch (SQLException e) {
      gap(
          t.table(),
          "table "
              + t.table()
              + " matches source.table.include.list but cannot be added to publication "
              + publication
              + " ("
              + e.getMessage()
              + "); as its owner run: "
              + add
              + ";");
      return false;
    }
  }

  private void fixOrWarn(Connection c, PostgresPreflight.CapturedTable t) throws SQLException {
    if (config.fixReplicaIdentity()) {
      try (Statement s = c.createStatement()) {
        for (TableId r : t.notFull()) {
          s.execute("ALTER TABLE " + POSTGRES.quote(r) + " REPLICA IDENTITY FULL");
          LOG.info("Ran ALTER TABLE {} REPLICA IDENTITY FULL", POSTGRES.quote(r));
        }
      }
      return;
    }
    LOG.warn(
        "New table {} lacks REPLICA IDENTITY FULL: its before images come from the journal's"
            + " previous versions; run ALTER TABLE {} REPLICA IDENTITY FULL; (or set"
            + " capture.fix-replica-identity=true)",
        t.table(),
        POSTGRES.quote(t.table()));
  }

  /**
   * A partition's file changes when it is truncated (or rewritten: VACUUM FULL, CLUSTER). A
   * truncate of one partition is not in the logical log, so its table is snapshotted again.
   */
  private void watchPartitionFiles(Connection c, List<PostgresPreflight.CapturedTable> now)
      throws SQLException {
    Map<TableId, Long> files = new LinkedHashMap<>();
    Map<TableId, TableId> rootOf = new HashMap<>();
    for (PostgresPreflight.CapturedTable t : now) {
      if (!known.containsKey(t.table())) {
        continue;
      }
      for (TableId p : t.partitions()) {
        rootOf.put(p, t.table());
      }
    }
    if (rootOf.isEmpty()) {
      filenodes = files;
      return;
    }
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT n.nspname, c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n ON"
                    + " n.oid = c.relnamespace WHERE c.relispartition AND c.relkind = 'r'");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        TableId p = TableId.of(rs.getString(1), rs.getString(2));
        if (rootOf.containsKey(p)) {
          files.put(p, rs.getLong(3));
        }
      }
    }
    if (filenodes != null) {
      for (Map.Entry<TableId, Long> f : files.entrySet()) {
        Long was = filenodes.get(f.getKey());
        TableId root = rootOf.get(f.getKey());
        if (was != null && !was.equals(f.getValue())) {
          gap(
              root,
              "partition "
                  + f.getKey()
                  + " of "
                  + root
                  + " was truncated or rewritten (a truncate of one partition is not in the log);"
                  + " "
                  + root
                  + " is snapshotted again");
          backfills.add(root);
        }
      }
    }
    filenodes = files;
  }

  private void notice(String type) {
    reported.removeAll(backfills.notice(type));
  }

  /** Queues, once per table, an open gap of a table whose changes the journal does not get. */
  private void gap(TableId table, String reason) {
    if (!reported.add(table)) {
      return;
    }
    LOG.warn("{}; recorded as a gap", reason);
    unwritten.add(
        Gap.openForTable(
            table, lastLook > 0 ? lastLook : System.currentTimeMillis() * 1000L, "", reason, true));
  }

  /** Writes the queued gaps that can be written now, between two source transactions. */
  private void writeGaps() {
    unwritten.removeIf(g -> journal.tryRecordGap(g).isPresent());
  }

  private static long serverMicros(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static int version(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Stops the thread and waits for it: nothing of it touches the journal after this returns. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
