package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.SourceStatus;
import io.rowguard.connectors.internal.CaptureNotifications;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.Source;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.UnaryOperator;

/** PostgreSQL through pgoutput: a replication slot and a publication rowguard keeps. */
public final class PostgresSource implements Source {
  private final RowguardConfig config;

  public PostgresSource(RowguardConfig config) {
    this.config = config;
  }

  @Override
  public void addDefaults(Map<String, String> d) {
    d.put("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    d.put("plugin.name", "pgoutput");
    d.put("slot.name", "rowguard_" + DebeziumSettings.sanitize(config.database()));
    // rowguard creates and keeps the publication itself (Publication); Debezium only reads it
    d.put("publication.autocreate.mode", "disabled");
    // a transactional message every heartbeat: a change the slot can confirm past while the
    // captured tables are idle (PostgreSQL 15 and later send nothing for transactions that do not
    // touch them, and the slot would hold the WAL of every other write)
    d.put("heartbeat.action.query", DebeziumSettings.HEARTBEAT_QUERY);
    d.put("interval.handling.mode", "string");
    d.put("hstore.handling.mode", "json");
    // PostgreSQL's own text for arrays, intervals, geometry and bit strings
    d.put("converters", "rowguardpgtext");
    d.put("rowguardpgtext.type", PgTextConverter.class.getName());
  }

  @Override
  public Connection connect() {
    return PostgresPreflight.connect(config);
  }

  @Override
  public Connection connectToApply() {
    return PostgresPreflight.connectToApply(config);
  }

  @Override
  public List<String> fullImageProblems(List<TableId> tables) {
    try (Connection c = connect()) {
      return PostgresPreflight.fullImageProblems(c, tables);
    } catch (java.sql.SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
  }

  @Override
  public org.apache.kafka.connect.data.Schema schemalessRow(
      TableId table, List<String> columns, boolean microTimes) {
    try (Connection c = connect()) {
      return PgSchemas.row(c, table, columns, microTimes);
    } catch (java.sql.SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
  }

  @Override
  public List<String> lossyColumns(TableId table, org.apache.kafka.connect.data.Schema row) {
    try (Connection c = connect()) {
      return PgRepresentation.lossyColumns(c, table, row);
    } catch (java.sql.SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
  }

  @Override
  public Checked check() {
    PostgresPreflight.Result result = PostgresPreflight.check(config);
    return new PgChecked(result);
  }

  private record PgChecked(PostgresPreflight.Result result) implements Checked {
    @Override
    public List<TableId> tables() {
      return result.tables().stream().map(PostgresPreflight.CapturedTable::table).toList();
    }

    @Override
    public long serverMicros() {
      return result.serverMicros();
    }
  }

  @Override
  public Prepared prepare(Checked checked, Journal journal, boolean acceptGap) {
    PostgresPreflight.Result result = ((PgChecked) checked).result();
    PostgresStart.Prepared prepared = PostgresStart.prepare(config, result, journal, acceptGap);
    return new PgPrepared(config, result, prepared);
  }

  private static final class PgPrepared implements Prepared {
    private final RowguardConfig config;
    private final PostgresPreflight.Result checked;
    private final PostgresStart.Prepared prepared;
    private final ColumnNumbers numbers;

    PgPrepared(
        RowguardConfig config, PostgresPreflight.Result checked, PostgresStart.Prepared prepared) {
      this.config = config;
      this.checked = checked;
      this.prepared = prepared;
      this.numbers = new ColumnNumbers(config);
    }

    @Override
    public boolean freshStart() {
      return prepared.freshStart();
    }

    @Override
    public Map<String, String> settled() {
      Map<String, String> settled = new HashMap<>();
      settled.put("slot.name", prepared.slot());
      settled.put("publication.name", prepared.publication());
      // how backfills are asked for and heard of: not the user's to change
      settled.put("signal.enabled.channels", "in-process");
      settled.put("notification.enabled.channels", CaptureNotifications.NAME);
      // Debezium names its JMX metrics after topic.prefix, the same for every journal (and the key
      // of the stored offsets, which must not change): the slot tells two captures in one JVM apart
      if (!config.source().containsKey("custom.metric.tags")) {
        settled.put("custom.metric.tags", "slot=" + prepared.slot());
      }
      settled.putAll(DebeziumSettings.tableFilterWithout(config, checked.partitions()));
      return settled;
    }

    @Override
    public UnaryOperator<TableSchema> numbering() {
      return numbers;
    }

    @Override
    public Companion companion(Journal journal, Duration tableCheck, Engine engine) {
      // tables whose rows have base versions; a journal from before these were recorded had all
      // of its tables snapshotted when it began
      Set<TableId> based = new HashSet<>(journal.basedTables().keySet());
      if (based.isEmpty() && journal.lastSeq() > 0) {
        based.addAll(journal.tables());
      }
      List<TableId> unbased =
          prepared.freshStart()
              ? List.of()
              : checked.tables().stream()
                  .map(PostgresPreflight.CapturedTable::table)
                  .filter(t -> !based.contains(t))
                  .toList();
      TableWatch watch =
          new TableWatch(
              config,
              journal,
              checked.tables(),
              unbased,
              prepared.publication(),
              prepared.publicationOurs(),
              tableCheck,
              engine);
      return new Companion() {
        @Override
        public void start() {
          watch.start();
        }

        @Override
        public void snapshotNotice(String type) {
          watch.snapshotNotice(type);
        }

        @Override
        public List<TableId> backfilling() {
          return watch.backfilling();
        }

        @Override
        public void close() {
          watch.close();
          numbers.close();
        }
      };
    }
  }

  @Override
  public String mark() {
    return Fence.lsn(Fence.mark(config));
  }

  @Override
  public Lag lag(String mark, Journal journal) {
    OptionalLong at = Fence.journaled(journal);
    if (at.isEmpty()) {
      return new Lag("", -1, "bytes of WAL");
    }
    return new Lag(
        Fence.lsn(at.getAsLong()), Math.max(0, parseLsn(mark) - at.getAsLong()), "bytes of WAL");
  }

  /** An LSN as PostgreSQL prints it ({@code 16/B374D848}). */
  static long parseLsn(String lsn) {
    int slash = lsn.indexOf('/');
    return (Long.parseLong(lsn.substring(0, slash), 16) << 32)
        | Long.parseLong(lsn.substring(slash + 1), 16);
  }

  @Override
  public boolean ready(boolean snapshotPending) {
    return status().slotExists();
  }

  @Override
  public SourceStatus status() {
    String slot = DebeziumSettings.engineSetting(config, "slot.name");
    try (Connection c = PostgresPreflight.connect(config)) {
      boolean hasWalStatus = version(c) >= 130000;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_current_wal_lsn()::text, s.active, s.confirmed_flush_lsn::text,"
                  + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint,"
                  + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint, "
                  + (hasWalStatus ? "s.wal_status" : "''")
                  + ", "
                  + (hasWalStatus ? "current_setting('max_slot_wal_keep_size')" : "'-1'")
                  + " FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          boolean exists = rs.getObject(2) != null;
          return new SourceStatus(
              Optional.empty(),
              slot,
              exists,
              exists && rs.getBoolean(2),
              rs.getString(1),
              exists ? String.valueOf(rs.getString(3)) : "",
              exists ? rs.getLong(4) : -1,
              exists ? rs.getLong(5) : -1,
              exists && rs.getString(6) != null ? rs.getString(6) : "",
              String.valueOf(rs.getString(7)));
        }
      }
    } catch (RowguardException | SQLException e) {
      return new SourceStatus(
          Optional.of(e.getMessage()), slot, false, false, "", "", -1, -1, "", "");
    }
  }

  private static int version(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT current_setting('server_version_num')::int");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
