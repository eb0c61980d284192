package io.rowguard.connectors.internal.mysql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.SourceStatus;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.JournalSchemaHistory;
import io.rowguard.connectors.internal.Source;
import io.rowguard.core.ConnectorKind;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.SourceBinding;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MySQL and MariaDB through their binlog: Debezium reads it as a replica would (with a replica id
 * of its own), and keeps its schema history in the journal ({@link JournalSchemaHistory}). Nothing
 * is created on the server.
 */
public final class BinlogSource implements Source {
  private static final Logger LOG = LoggerFactory.getLogger(BinlogSource.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long RECORD_TIMEOUT_MILLIS = 10_000;

  private final RowguardConfig config;

  public BinlogSource(RowguardConfig config) {
    this.config = config;
  }

  private boolean mariadb() {
    return config.connector() == ConnectorKind.MARIADB;
  }

  @Override
  public void addDefaults(Map<String, String> d) {
    d.put(
        "connector.class",
        mariadb()
            ? "io.debezium.connector.mariadb.MariaDbConnector"
            : "io.debezium.connector.mysql.MySqlConnector");
    // a replica id of its own, the same on every start of this journal
    d.put("database.server.id", Long.toString(defaultServerId(config)));
    String db = config.source().get("database.dbname");
    if (db != null
        && !db.isBlank()
        && !config.source().containsKey("database.include.list")
        && !config.source().containsKey("database.exclude.list")) {
      d.put("database.include.list", java.util.regex.Pattern.quote(db));
    }
    d.put("schema.history.internal", JournalSchemaHistory.class.getName());
    d.put("schema.history.internal.store.only.captured.databases.ddl", "true");
    // the statement text, for the rowguard comment that names who ran it
    d.put("include.query", "true");
    d.put("bigint.unsigned.handling.mode", "precise");
    // the server sends a heartbeat event after 0.8 x this of silence, and every event past the
    // heartbeat interval gives a heartbeat record: offsets then move past the transactions of
    // tables not captured within about a second, which a freshness check waits for
    d.put("connect.keep.alive.interval.ms", "1250");
    d.put("heartbeat.interval.ms", "1000");
  }

  /** A replica id derived from the journal's directory: stable, and unlikely to be taken. */
  static long defaultServerId(RowguardConfig config) {
    return 100_000 + Math.floorMod(config.journalDir().toString().hashCode(), 1_000_000_000);
  }

  @Override
  public Connection connect() {
    return BinlogPreflight.connect(config);
  }

  @Override
  public Connection connectToApply() {
    return BinlogPreflight.connectToApply(config);
  }

  @Override
  public List<String> fullImageProblems(List<io.rowguard.core.TableId> tables) {
    try (Connection c = connect()) {
      Map<String, String> vars = BinlogPreflight.variables(c);
      String image = vars.getOrDefault("binlog_row_image", "");
      return "FULL".equalsIgnoreCase(image)
          ? List.of()
          : List.of(
              "binlog_row_image="
                  + image
                  + ": SET GLOBAL binlog_row_image = 'FULL'; (and binlog_row_image=FULL in my.cnf)");
    } catch (java.sql.SQLException e) {
      throw BinlogPreflight.describe(config, e);
    }
  }

  @Override
  public org.apache.kafka.connect.data.Schema schemalessRow(
      io.rowguard.core.TableId table, List<String> columns, boolean microTimes) {
    throw new IllegalStateException(
        "records of "
            + table
            + " arrive without schemas: for MySQL and MariaDB rowguard reads Debezium's topics"
            + " with schemas only (value.converter.schemas.enable=true)");
  }

  @Override
  public List<String> lossyColumns(
      io.rowguard.core.TableId table, org.apache.kafka.connect.data.Schema row) {
    try (Connection c = connect()) {
      return BinlogRepresentation.lossyColumns(c, table, row);
    } catch (java.sql.SQLException e) {
      throw BinlogPreflight.describe(config, e);
    }
  }

  @Override
  public Checked check() {
    BinlogPreflight.Result result = BinlogPreflight.check(config);
    result.warnings().forEach(LOG::warn);
    return new BinlogChecked(result);
  }

  private record BinlogChecked(BinlogPreflight.Result result) implements Checked {
    @Override
    public java.util.List<io.rowguard.core.TableId> tables() {
      return result.tables();
    }

    @Override
    public long serverMicros() {
      return result.serverMicros();
    }
  }

  @Override
  public Prepared prepare(Checked checked, Journal journal, boolean acceptGap) {
    BinlogPreflight.Identity id = ((BinlogChecked) checked).result().identity();
    String serverId = DebeziumSettings.engineSetting(config, "database.server.id");
    SourceBinding current =
        new SourceBinding(
            config.connector().configName(),
            id.server(),
            DebeziumSettings.engineSetting(config, "database.include.list") == null
                ? "(all databases)"
                : DebeziumSettings.engineSetting(config, "database.include.list"),
            "replica id " + serverId,
            "",
            config.host() + ":" + config.port());
    Optional<SourceBinding> bound = journal.binding();
    bound.ifPresent(b -> b.refuseOther(journal.dir(), current));
    try (Connection c = connect()) {
      Optional<Gap> gap = findGap(journal, c);
      if (gap.isPresent() && !acceptGap) {
        throw new InputException(
            "the journal ends at "
                + gap.get().fromPosition()
                + " (last commit "
                + (gap.get().fromMicros() == 0
                    ? "none"
                    : ValueFormat.instant(gap.get().fromMicros()))
                + ") but "
                + gap.get().reason()
                + ". Run `rowguard capture --accept-gap -c FILE` to go on without them: the gap"
                + " is recorded, every table is snapshotted again, and rollbacks to moments"
                + " inside the gap are refused");
      }
      if (bound.isEmpty() || !bound.get().equals(current)) {
        journal.bind(current, RECORD_TIMEOUT_MILLIS);
      }
      if (gap.isPresent()) {
        Gap recorded = journal.restartAfterGap(gap.get(), RECORD_TIMEOUT_MILLIS);
        LOG.warn(
            "Going on past a gap in the journal: {} to {}; {}. Every table is snapshotted again",
            recorded.fromPosition(),
            recorded.toPosition(),
            recorded.reason());
      }
    } catch (SQLException e) {
      throw BinlogPreflight.describe(config, e);
    }
    boolean fresh = journal.offsets().isEmpty();
    return new Prepared() {
      @Override
      public boolean freshStart() {
        return fresh;
      }

      @Override
      public Map<String, String> settled() {
        Map<String, String> settled = new HashMap<>();
        // where the schema history lives is rowguard's: it is written with the offsets
        settled.put("schema.history.internal", JournalSchemaHistory.class.getName());
        if (!config.source().containsKey("custom.metric.tags")) {
          settled.put("custom.metric.tags", "replica=" + serverId);
        }
        // the tag rows of every captured database come through, whatever the table list says
        String include = config.source().get("table.include.list");
        if (include != null && !include.isBlank()) {
          settled.put("table.include.list", include + ",.*\\.rowguard_tag");
        }
        return settled;
      }

      @Override
      public UnaryOperator<TableSchema> numbering() {
        return UnaryOperator.identity();
      }

      @Override
      public Companion companion(Journal j, Duration tableCheck, Engine engine) {
        return Companion.NONE;
      }
    };
  }

  /** The binlog file the stored offsets resume from is gone from the server: a gap. */
  private Optional<Gap> findGap(Journal journal, Connection c) throws SQLException {
    Optional<BinlogPosition> resume = resumePosition(journal);
    if (resume.isEmpty()) {
      return Optional.empty();
    }
    String first = null;
    String last = null;
    boolean present = false;
    try (PreparedStatement ps = c.prepareStatement("SHOW BINARY LOGS");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String file = rs.getString(1);
        first = first == null ? file : first;
        last = file;
        present |= file.equals(resume.get().file());
      }
    }
    if (present) {
      return Optional.empty();
    }
    long lastCommit = journal.status().lastCommitMicros().orElse(0);
    return Optional.of(
        new Gap(
            0,
            null,
            lastCommit,
            Long.MAX_VALUE,
            resume.get().describe(),
            last == null ? "" : last,
            "the server no longer has binlog "
                + resume.get().file()
                + " (it keeps "
                + first
                + " to "
                + last
                + "; binlogs expired or were purged while capture was stopped), so changes"
                + " committed since then",
            true));
  }

  /** Where the stored offsets resume: a binlog file and position, and the GTIDs done. */
  static Optional<BinlogPosition> resumePosition(Journal journal) {
    for (ByteBuffer value : journal.offsets().values()) {
      try {
        JsonNode n = JSON.readTree(StandardCharsets.UTF_8.decode(value.duplicate()).toString());
        if (n.hasNonNull("file")) {
          String gtids = n.path("gtids").asText("");
          // a stored offset is always at a transaction's end: the one it names is done
          String tx = n.path("transaction_id").asText("");
          return Optional.of(
              new BinlogPosition(
                  n.get("file").asText(),
                  n.path("pos").asLong(),
                  Gtids.parse(gtids).with(Gtids.parse(tx))));
        }
      } catch (java.io.IOException e) {
        // not an offset of ours
      }
    }
    return Optional.empty();
  }

  @Override
  public boolean ready(boolean snapshotPending) {
    return !snapshotPending;
  }

  @Override
  public SourceStatus status() {
    String replica = "replica id " + DebeziumSettings.engineSetting(config, "database.server.id");
    String wrongKind;
    try (Connection c = connect()) {
      Map<String, String> vars = BinlogPreflight.variables(c);
      BinlogPreflight.Identity id = BinlogPreflight.identity(c, vars);
      wrongKind = BinlogPreflight.otherKind(config, id);
      String end = BinlogStatements.end(c, id.mariadb()).orElse(":-1");
      long total = 0;
      try (PreparedStatement ps = c.prepareStatement("SHOW BINARY LOGS");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          total += rs.getLong(2);
        }
      }
      String expiry =
          vars.containsKey("binlog_expire_logs_seconds")
              ? vars.get("binlog_expire_logs_seconds") + " s"
              : vars.getOrDefault("expire_logs_days", "0") + " days";
      if (expiry.startsWith("0 ")) {
        expiry = ""; // 0 is no expiry: binlogs stay until purged
      }
      if (wrongKind == null) {
        return new SourceStatus(
            Optional.empty(), replica, true, false, end, "", -1, total, "", expiry);
      }
    } catch (RowguardException | SQLException e) {
      return new SourceStatus(
          Optional.of(e.getMessage()), replica, false, false, "", "", -1, -1, "", "");
    }
    // a config naming the other kind of server is bad input, not a status to report
    throw new InputException("config " + config.file() + ": " + wrongKind);
  }

  @Override
  public String mark() {
    try (Connection c = connect()) {
      String gtid = "";
      try (PreparedStatement ps =
              c.prepareStatement(
                  mariadb() ? "SELECT @@gtid_binlog_pos" : "SELECT @@gtid_executed");
          ResultSet rs = ps.executeQuery()) {
        if (rs.next() && rs.getString(1) != null) {
          gtid = rs.getString(1).replace("\n", "");
        }
      }
      if (!Gtids.parse(gtid).highest().isEmpty()) {
        return gtid;
      }
      // a server without GTIDs: where its binlog ends
      return BinlogStatements.end(c, mariadb()).orElse("");
    } catch (SQLException e) {
      throw BinlogPreflight.describe(config, e);
    }
  }

  @Override
  public Lag lag(String mark, Journal journal) {
    Optional<BinlogPosition> at = resumePosition(journal);
    if (at.isEmpty()) {
      return new Lag("", -1, "transactions");
    }
    Gtids wanted = Gtids.parse(mark);
    if (!wanted.highest().isEmpty() || mark.isEmpty()) {
      return new Lag(at.get().describe(), at.get().done().behind(wanted), "transactions");
    }
    return new Lag(at.get().describe(), at.get().bytesBefore(mark), "bytes of binlog");
  }
}
