package io.rowguard.connectors.internal;

import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One kind of database capture reads from: everything about it that is not Debezium's common engine
 * — its settings, its checks before a start, how a journal settles with it, how far it is ahead,
 * the mark a freshness check writes. One implementation per database under {@code
 * internal.postgres} and {@code internal.mysql}; {@link Sources} chooses by {@code
 * source.connector}, and nothing else names a database.
 */
public interface Source {

  /** Adds this database's Debezium settings to the common {@code defaults}. */
  void addDefaults(Map<String, String> defaults);

  /** A JDBC connection with the capture user's credentials; failures are one-line input errors. */
  Connection connect();

  /** A JDBC connection as {@code apply.user}. */
  Connection connectToApply();

  /**
   * The captured tables among {@code tables} whose log entries lack full before images, each with
   * the statement that fixes it; a journal built from Debezium's Kafka topics checks its tables so.
   */
  List<String> fullImageProblems(List<TableId> tables);

  /**
   * The columns of {@code table} that {@code row}, a Debezium row schema from someone else's
   * connector, carries in a lossy form, each with the connector setting that fixes it.
   */
  List<String> lossyColumns(TableId table, org.apache.kafka.connect.data.Schema row);

  /**
   * The Connect schema Debezium's connector gives {@code columns} of {@code table}, from the
   * catalog, for topics written without schemas; {@code microTimes} for {@code
   * time.precision.mode=adaptive_time_microseconds}. Throws where the catalog cannot say.
   */
  org.apache.kafka.connect.data.Schema schemalessRow(
      TableId table, List<String> columns, boolean microTimes);

  /**
   * Checks the database before any journal is opened: reachable, its log set up for capture, every
   * captured table identifiable and logged in full, the user's privileges. Problems are one {@code
   * InputException} naming each with the statement that fixes it.
   */
  Checked check();

  /**
   * Settles {@code journal} with the database before the engine starts: it belongs to this
   * database, nothing was lost since it stopped (else a gap, refused unless {@code acceptGap}).
   */
  Prepared prepare(Checked checked, Journal journal, boolean acceptGap);

  /**
   * True once whatever is committed from now on will reach capture: for PostgreSQL its slot exists;
   * for a binlog source the snapshot has its position ({@code snapshotPending} false).
   */
  boolean ready(boolean snapshotPending);

  /** How far the database is ahead of capture, and what capture costs it. */
  io.rowguard.connectors.SourceStatus status();

  /**
   * Marks the database's log (writes a mark, or reads where the log is) and returns the mark:
   * everything committed before the call lies before it.
   */
  String mark();

  /** How far {@code journal} is behind {@code mark}: 0 once it holds everything before it. */
  Lag lag(String mark, Journal journal);

  /**
   * @param journaled the journal's position, as the database writes it (empty: none yet)
   * @param behind how far behind the mark, in {@code unit}s; 0 once past it; -1 without a position
   * @param unit what {@code behind} counts ({@code bytes of WAL}, {@code transactions})
   */
  record Lag(String journaled, long behind, String unit) {}

  /** What the preflight found. */
  interface Checked {
    /** The captured tables. */
    List<TableId> tables();

    /** The server's time when checked: no later than the initial snapshot's consistent point. */
    long serverMicros();
  }

  /** What the engine needs from the settling. */
  interface Prepared {
    /** No stored offsets: Debezium takes a snapshot first. */
    boolean freshStart();

    /** Engine settings decided now, which the user's {@code source.*} keys do not override. */
    Map<String, String> settled();

    /** Gives a newly seen table schema's columns their numbers in the table. */
    UnaryOperator<TableSchema> numbering();

    /** What runs beside the engine for this database (table discovery, backfills). */
    Companion companion(Journal journal, Duration tableCheck, Engine engine);
  }

  /** What a companion needs of the running capture. */
  interface Engine {
    /** True once a backfill may begin: capture streams and no initial snapshot is under way. */
    boolean streaming();

    /** True once the message that begins backfill {@code id} has come through the stream. */
    boolean heard(String id);

    /** Asks Debezium for a blocking snapshot of {@code tables}; throws while it cannot yet. */
    void snapshot(List<TableId> tables);
  }

  /** Runs beside the engine; started after it, closed before it stops. */
  interface Companion extends AutoCloseable {
    Companion NONE =
        new Companion() {
          @Override
          public void start() {}

          @Override
          public void snapshotNotice(String type) {}

          @Override
          public List<TableId> backfilling() {
            return List.of();
          }

          @Override
          public void close() {}
        };

    void start();

    /** Debezium's word on a snapshot ({@code STARTED}, {@code COMPLETED}, {@code ABORTED}, …). */
    void snapshotNotice(String type);

    /** Tables waiting for, or in, a backfill. */
    List<TableId> backfilling();

    @Override
    void close();
  }

  /** The source for {@code config}'s {@code source.connector}. */
  static Source of(RowguardConfig config) {
    return Sources.of(config);
  }
}
