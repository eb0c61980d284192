package io.rowguard.connectors.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.TableFilter;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableMatcher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before Debezium starts, that PostgreSQL can be captured exactly: the server is reachable
 * with the given credentials, {@code wal_level} is logical, and every captured table has a primary
 * key and {@code REPLICA IDENTITY FULL}. Each problem becomes one line that says what to change.
 */
public final class PostgresPreflight {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresPreflight.class);

  /**
   * A captured table and what the catalog says about it.
   *
   * @param replicaIdentity {@code relreplident}; for a partitioned table, the weakest of the table
   *     and its partitions ({@code f} only when all are FULL)
   * @param partitions a partitioned table's partitions, at any depth; empty for a plain table
   * @param notFull the relations (the table or its partitions) without REPLICA IDENTITY FULL
   */
  public record CapturedTable(
      TableId table,
      boolean hasPrimaryKey,
      char replicaIdentity,
      boolean canSelect,
      boolean owned,
      List<TableId> partitions,
      List<TableId> notFull) {

    public boolean partitioned() {
      return !partitions.isEmpty();
    }
  }

  /**
   * The server and database, as a journal is bound to them.
   *
   * @param systemId the cluster's system identifier: the same after a move to another host or a
   *     failover to a physical replica, different for any other server
   * @param databaseOid the database's oid: a database dropped and created again under the same name
   *     is another database
   * @param versionNum {@code server_version_num}
   */
  public record Identity(String systemId, long databaseOid, String database, int versionNum) {
    public String describeDatabase() {
      return database + " (oid " + databaseOid + ")";
    }
  }

  /**
   * What the checks found.
   *
   * @param tables the captured tables
   * @param serverMicros the server's clock when the checks ran: earlier than the replication slot
   *     and so than the initial snapshot's consistent point
   * @param identity the server and database
   */
  public record Result(List<CapturedTable> tables, long serverMicros, Identity identity) {
    /** The partitions of captured partitioned tables: captured through their root, never alone. */
    public List<TableId> partitions() {
      return tables.stream().flatMap(t -> t.partitions().stream()).toList();
    }
  }

  private PostgresPreflight() {}

  /** Opens a JDBC connection, turning connection failures into one-line input errors. */
  public static Connection connect(RowguardConfig config) {
    try {
      return open(config);
    } catch (SQLException e) {
      throw describe(config, e);
    }
  }

  /** Opens a JDBC connection; failures stay SQL errors, for work inside a running capture. */
  static Connection open(RowguardConfig config) throws SQLException {
    config.requireSource();
    return DriverManager.getConnection(url(config), connectionProperties(config));
  }

  /** Connects as the user that writes rollbacks ({@code apply.user}). */
  public static Connection connectToApply(RowguardConfig config) {
    config.requireSource();
    config.applyLogin().require();
    Properties props = connectionProperties(config);
    props.setProperty("user", config.applyLogin().user());
    props.setProperty("password", config.applyLogin().password());
    try {
      return DriverManager.getConnection(url(config), props);
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.equals("28P01") || state.equals("28000")) {
        throw new InputException(
            "PostgreSQL at "
                + config.host()
                + ":"
                + config.port()
                + " rejected apply.user '"
                + config.applyLogin().user()
                + "' ("
                + firstLine(e.getMessage())
                + "): check apply.user and apply.password in "
                + config.file());
      }
      throw describe(config, e);
    }
  }

  private static String url(RowguardConfig config) {
    return "jdbc:postgresql://" + config.host() + ":" + config.port() + "/" + config.database();
  }

  private static Properties connectionProperties(RowguardConfig config) {
    Properties props = new Properties();
    props.setProperty("user", config.user());
    props.setProperty("password", config.password());
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "rowguard");
    if (config.fromKafka()) {
      config.kafkaSource().database().properties().forEach(props::setProperty);
    }
    return props;
  }

  /** The one-line error for a failed connection; the SQL error stays its cause (for retries). */
  static InputException describe(RowguardConfig config, SQLException e) {
    String where = "PostgreSQL at " + config.host() + ":" + config.port();
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String message = firstLine(e.getMessage());
    if (state.equals("28P01") || state.equals("28000")) {
      return new InputException(
          where
              + " rejected user '"
              + config.user()
              + "': "
              + message
              + " (check source.database.user and source.database.password)",
          e);
    }
    if (state.equals("3D000")) {
      return new InputException(
          where + " has no database '" + config.database() + "' (check source.database.dbname)", e);
    }
    if (state.startsWith("08")) {
      return new InputException(
          "cannot connect to "
              + where
              + ": "
              + message
              + " (check source.database.hostname and source.database.port)",
          e);
    }
    return new InputException(where + ": " + message, e);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /**
   * Runs every check; with {@code capture.fix-replica-identity=true} sets REPLICA IDENTITY FULL on
   * tables (and partitions) that lack it. Returns the captured tables. Nothing of the journal is
   * touched: a refusal leaves no trace.
   */
  public static Result check(RowguardConfig config) {
    try (Connection c = connect(config)) {
      checkWalLevel(config, c);
      long serverMicros;
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint")) {
        rs.next();
        serverMicros = rs.getLong(1);
      }
      Identity identity = identify(config, c);
      List<CapturedTable> tables = capturedTables(config, c);
      List<String> problems = new ArrayList<>();
      for (CapturedTable t : tables) {
        if (!t.hasPrimaryKey()) {
          problems.add(
              "table "
                  + t.table()
                  + " has no primary key; rowguard identifies rows by it: add"
                  + " one, or leave the table out of source.table.include.list");
          continue;
        }
        if (t.partitioned() && identity.versionNum() < 130000) {
          problems.add(
              "table "
                  + t.table()
                  + " is partitioned, and PostgreSQL before 13 sends its changes only under"
                  + " the partitions' names: list the partitions ("
                  + String.join(", ", t.partitions().stream().map(TableId::toString).toList())
                  + ") in source.table.include.list instead of "
                  + t.table());
          continue;
        }
        if (t.notFull().isEmpty()) {
          continue;
        }
        List<String> fixes =
            t.notFull().stream()
                .map(r -> "ALTER TABLE " + POSTGRES.quote(r) + " REPLICA IDENTITY FULL;")
                .toList();
        if (config.fixReplicaIdentity()) {
          try (Statement s = c.createStatement()) {
            for (String fix : fixes) {
              s.execute(fix);
              LOG.info("Ran {}", fix);
            }
          }
        } else {
          problems.add(
              "table "
                  + t.table()
                  + (t.partitioned()
                      ? " is partitioned and "
                          + (t.notFull().size() == 1 ? "" : t.notFull().size() + " of ")
                          + "its relations lack REPLICA IDENTITY FULL"
                      : " has REPLICA IDENTITY " + identityName(t.replicaIdentity()))
                  + ", so the log would not carry full before images; run: "
                  + String.join(" ", fixes)
                  + " (or set capture.fix-replica-identity=true)");
        }
      }
      checkPrivileges(config, c, tables, problems);
      checkNamedTables(config, c, tables, problems);
      if (!java.nio.file.Files.isRegularFile(config.journalDir().resolve("CURRENT"))) {
        // a new journal: its publication can be checked now, with everything else; an existing
        // journal's is settled when it is opened (it may be bound to another)
        String slot = DebeziumSettings.engineSetting(config, "slot.name");
        String publication = config.source().getOrDefault("publication.name", slot);
        problems.addAll(
            PostgresStart.publicationPlan(
                    config, tables, identity.versionNum(), c, publication, slot, null, false)
                .problems());
      }
      if (!problems.isEmpty()) {
        throw new InputException(String.join("\n", problems));
      }
      return new Result(tables, serverMicros, identity);
    } catch (SQLException e) {
      throw describe(config, e);
    }
  }

  /**
   * The server's system identifier and the database's oid. The identifier comes from {@code
   * pg_control_system()}, or, where that is not granted, from the replication protocol's {@code
   * IDENTIFY_SYSTEM}, which the capture user may always run.
   */
  static Identity identify(RowguardConfig config, Connection c) throws SQLException {
    long oid;
    int version;
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT oid, current_setting('server_version_num')::int FROM pg_database"
                    + " WHERE datname = current_database()")) {
      rs.next();
      oid = rs.getLong(1);
      version = rs.getInt(2);
    }
    String systemId;
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT system_identifier::text FROM pg_control_system()")) {
      rs.next();
      systemId = rs.getString(1);
    } catch (SQLException denied) {
      systemId = identifySystem(config);
    }
    return new Identity(systemId, oid, config.database(), version);
  }

  private static String identifySystem(RowguardConfig config) throws SQLException {
    Properties props = connectionProperties(config);
    props.setProperty("replication", "database");
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    try (Connection r = DriverManager.getConnection(url(config), props);
        Statement s = r.createStatement();
        ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Replication and SELECT on every table; the publication is {@link Publication}'s. */
  private static void checkPrivileges(
      RowguardConfig config, Connection c, List<CapturedTable> tables, List<String> problems)
      throws SQLException {
    boolean superuser;
    boolean replication;
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user")) {
      rs.next();
      superuser = rs.getBoolean(1);
      replication = rs.getBoolean(2);
    }
    String user = POSTGRES.quote(config.user());
    if (!superuser && !replication) {
      problems.add(
          "user "
              + config.user()
              + " may not read the replication log; run: ALTER ROLE "
              + user
              + " REPLICATION;");
    }
    for (CapturedTable t : tables) {
      if (!t.canSelect()) {
        problems.add(
            "user "
                + config.user()
                + " may not read table "
                + t.table()
                + " (the snapshot"
                + " needs it); run: GRANT SELECT ON "
                + POSTGRES.quote(t.table())
                + " TO "
                + user
                + ";");
      }
    }
  }

  /**
   * Tables named by audit and guard settings must be captured (a typo would silently guard
   * nothing), and a named actor column must exist.
   */
  private static void checkNamedTables(
      RowguardConfig config, Connection c, List<CapturedTable> tables, List<String> problems)
      throws SQLException {
    List<TableId> captured = tables.stream().map(CapturedTable::table).toList();
    String capturedList =
        String.join(", ", captured.stream().limit(20).map(TableId::toString).toList());
    java.util.Map<String, java.util.Collection<TableId>> named = new java.util.LinkedHashMap<>();
    named.put("guard.max-rows.", config.guard().maxRows().named().keySet());
    named.put("guard.protected-tables", config.guard().protectedTables().tables());
    named.put("guard.require-actor", config.guard().requireActor().tables());
    named.put("audit.actor-column.", config.actorColumns().named().keySet());
    named.forEach(
        (key, list) -> {
          for (TableId t : list) {
            if (captured.stream().noneMatch(x -> TableMatcher.covers(t, x))) {
              problems.add(
                  key
                      + (key.endsWith(".") ? t.toString() : "")
                      + " names table "
                      + t
                      + ", which is not captured (captured: "
                      + capturedList
                      + ")");
            }
          }
        });
    for (var e : config.actorColumns().named().entrySet()) {
      for (TableId t : captured) {
        if (TableMatcher.covers(e.getKey(), t) && !hasColumn(c, t, e.getValue())) {
          problems.add(
              "audit.actor-column."
                  + e.getKey()
                  + "="
                  + e.getValue()
                  + ": table "
                  + t
                  + " has no column "
                  + e.getValue());
        }
      }
    }
  }

  private static boolean hasColumn(Connection c, TableId table, String column) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT 1 FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid"
                + " JOIN pg_namespace n ON n.oid = t.relnamespace"
                + " WHERE n.nspname = ? AND t.relname = ? AND a.attname = ?"
                + " AND a.attnum > 0 AND NOT a.attisdropped")) {
      ps.setString(1, table.schema());
      ps.setString(2, table.name());
      ps.setString(3, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * The tables among {@code tables} (and their partitions) without REPLICA IDENTITY FULL, or not
   * found, each with the statement that fixes it.
   */
  static List<String> fullImageProblems(Connection c, List<TableId> tables) throws SQLException {
    List<String> problems = new java.util.ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "WITH RECURSIVE tree AS (SELECT t.oid FROM pg_class t JOIN pg_namespace n"
                + " ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?"
                + " UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent ="
                + " tree.oid) SELECT n.nspname, t.relname, t.relreplident, t.relkind FROM tree"
                + " JOIN pg_class t ON t.oid = tree.oid JOIN pg_namespace n"
                + " ON n.oid = t.relnamespace")) {
      for (TableId table : tables) {
        ps.setString(1, table.schema());
        ps.setString(2, table.name());
        boolean found = false;
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            found = true;
            char identity = rs.getString(3).charAt(0);
            if (identity != 'f' && !"p".equals(rs.getString(4))) {
              TableId t = TableId.of(rs.getString(1), rs.getString(2));
              problems.add(
                  t
                      + " has REPLICA IDENTITY "
                      + identityName(identity)
                      + ": ALTER TABLE "
                      + POSTGRES.quote(t)
                      + " REPLICA IDENTITY FULL;");
            }
          }
        }
        if (!found) {
          problems.add(
              table
                  + " is not a table of "
                  + c.getCatalog()
                  + " (the database apply.url names): check apply.url and the topics");
        }
      }
    }
    return problems;
  }

  private static String identityName(char c) {
    return switch (c) {
      case 'd' -> "DEFAULT";
      case 'n' -> "NOTHING";
      case 'i' -> "USING INDEX";
      default -> String.valueOf(c);
    };
  }

  private static void checkWalLevel(RowguardConfig config, Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW wal_level")) {
      rs.next();
      String level = rs.getString(1);
      if (!"logical".equals(level)) {
        throw new InputException(
            "PostgreSQL at "
                + config.host()
                + ":"
                + config.port()
                + " has wal_level="
                + level
                + "; rowguard reads the logical log: run ALTER SYSTEM SET wal_level = logical;"
                + " and restart the server");
      }
    }
  }

  /** The tables Debezium will capture, by the same include/exclude rules. */
  public static List<CapturedTable> capturedTables(RowguardConfig config, Connection c)
      throws SQLException {
    TableFilter filter = TableFilter.of(config, "schema");
    // a partition is captured through the partitioned table above it that is captured (the
    // publication publishes its changes under that table's name), on its own where none is
    String sql =
        "SELECT n.nspname, c.relname, c.relreplident, c.relkind,"
            + " EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),"
            + " has_table_privilege(c.oid, 'SELECT'), pg_has_role(c.relowner, 'USAGE'), c.oid,"
            + " CASE WHEN c.relispartition THEN (SELECT i.inhparent FROM pg_inherits i"
            + " WHERE i.inhrelid = c.oid) ELSE 0 END"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p')"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
            + " ORDER BY 1, 2";
    List<CapturedTable> out = new ArrayList<>();
    List<String> all = new ArrayList<>();
    List<long[]> partitionedOids = new ArrayList<>();
    Map<Long, Long> parents = new HashMap<>();
    Set<Long> included = new HashSet<>();
    Map<Integer, Long> partitionsAlone = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        TableId t = TableId.of(rs.getString(1), rs.getString(2));
        long parent = rs.getLong(9);
        if (parent == 0) {
          all.add(t.toString());
        } else {
          parents.put(rs.getLong(8), parent);
        }
        if (filter.includes(t)) {
          included.add(rs.getLong(8));
          if (parent != 0) {
            partitionsAlone.put(out.size(), parent);
          }
          char identity = rs.getString(3).charAt(0);
          boolean partitioned = rs.getString(4).charAt(0) == 'p';
          if (partitioned) {
            partitionedOids.add(new long[] {out.size(), rs.getLong(8)});
          }
          out.add(
              new CapturedTable(
                  t,
                  rs.getBoolean(5),
                  identity,
                  rs.getBoolean(6),
                  rs.getBoolean(7),
                  List.of(),
                  identity == 'f' ? List.of() : List.of(t)));
        }
      }
    }
    for (long[] p : partitionedOids) {
      out.set((int) p[0], withPartitions(c, out.get((int) p[0]), p[1]));
    }
    // a partition of a captured table comes with it
    Set<Integer> within = new HashSet<>();
    partitionsAlone.forEach(
        (at, parent) -> {
          for (Long up = parent; up != null; up = parents.get(up)) {
            if (included.contains(up)) {
              within.add(at);
              return;
            }
          }
        });
    if (!within.isEmpty()) {
      List<CapturedTable> kept = new ArrayList<>();
      for (int i = 0; i < out.size(); i++) {
        if (!within.contains(i)) {
          kept.add(out.get(i));
        }
      }
      out = kept;
    }
    if (out.isEmpty()) {
      String list = config.source().getOrDefault("table.include.list", "");
      throw new InputException(
          "no table of database "
              + config.database()
              + " matches source.table.include.list="
              + list
              + (all.isEmpty()
                  ? " (the database has no tables)"
                  : " (tables: "
                      + String.join(", ", all.subList(0, Math.min(all.size(), 20)))
                      + (all.size() > 20 ? ", …" : "")
                      + ")"));
    }
    return out;
  }

  /**
   * A partitioned table with its partitions, at every level, and those not REPLICA IDENTITY FULL.
   */
  private static CapturedTable withPartitions(Connection c, CapturedTable root, long oid)
      throws SQLException {
    List<TableId> partitions = new ArrayList<>();
    List<TableId> notFull = new ArrayList<>(root.notFull());
    try (PreparedStatement ps =
        c.prepareStatement(
            "WITH RECURSIVE tree(oid) AS (SELECT inhrelid FROM pg_inherits WHERE inhparent = ?"
                + " UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent ="
                + " tree.oid) SELECT n.nspname, c.relname, c.relreplident, c.relkind FROM tree"
                + " JOIN pg_class c ON c.oid = tree.oid JOIN pg_namespace n ON n.oid ="
                + " c.relnamespace ORDER BY 1, 2")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TableId p = TableId.of(rs.getString(1), rs.getString(2));
          partitions.add(p);
          // leaf partitions log the old rows: their identity decides what the log carries
          if (rs.getString(3).charAt(0) != 'f' && rs.getString(4).charAt(0) != 'p') {
            notFull.add(p);
          }
        }
      }
    }
    char identity =
        notFull.isEmpty() ? 'f' : root.replicaIdentity() == 'f' ? 'd' : root.replicaIdentity();
    return new CapturedTable(
        root.table(),
        root.hasPrimaryKey(),
        identity,
        root.canSelect(),
        root.owned(),
        List.copyOf(partitions),
        List.copyOf(notFull));
  }
}
