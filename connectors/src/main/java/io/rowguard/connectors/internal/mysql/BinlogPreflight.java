package io.rowguard.connectors.internal.mysql;

import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.TableFilter;
import io.rowguard.core.ConnectorKind;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * What a MySQL or MariaDB server must have for capture: its binlog on, in ROW format with full row
 * images and no partial JSON or compression; the capture user's privileges; a primary key on every
 * captured table; a replica id of its own. Each problem is one line with the statement that fixes
 * it, all in one {@link InputException}.
 */
public final class BinlogPreflight {
  private BinlogPreflight() {}

  /**
   * What the server is.
   *
   * @param server its identity for the journal's binding: {@code server_uuid} on MySQL; on MariaDB
   *     (which has none) its {@code server_id} and binlog base name
   * @param version {@code @@version}
   * @param gtids the server keeps GTIDs (always on MariaDB; {@code gtid_mode=ON} on MySQL)
   */
  public record Identity(String server, String version, boolean mariadb, boolean gtids) {}

  /** The checked server: its tables, its time, what it is. */
  public record Result(
      List<TableId> tables, long serverMicros, Identity identity, List<String> warnings) {}

  /** Opens a JDBC connection as the capture user; failures are one-line input errors. */
  public static Connection connect(RowguardConfig config) {
    return connect(config, config.user(), config.password(), "source.database.user");
  }

  /** Connects as {@code apply.user}. */
  public static Connection connectToApply(RowguardConfig config) {
    config.applyLogin().require();
    return connect(
        config, config.applyLogin().user(), config.applyLogin().password(), "apply.user");
  }

  private static Connection connect(
      RowguardConfig config, String user, String password, String userKey) {
    config.requireSource();
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "10000");
    // rowguard's own writes and comparisons must see the session as the binlog does
    props.setProperty("sessionVariables", "time_zone='+00:00'");
    if (config.connector() == ConnectorKind.MYSQL) {
      // MySQL 8's caching_sha2_password over a plain connection needs the server's RSA key
      props.setProperty("allowPublicKeyRetrieval", "true");
    }
    if (config.fromKafka()) {
      config.kafkaSource().database().properties().forEach(props::setProperty);
    }
    try {
      return DriverManager.getConnection(
          "jdbc:mariadb://" + config.host() + ":" + config.port() + "/", props);
    } catch (SQLException e) {
      throw describe(config, e, user, userKey);
    }
  }

  static InputException describe(RowguardConfig config, SQLException e) {
    return describe(config, e, config.user(), "source.database.user");
  }

  private static InputException describe(
      RowguardConfig config, SQLException e, String user, String userKey) {
    String where = name(config) + " at " + config.host() + ":" + config.port();
    String message = firstLine(e.getMessage());
    int code = e.getErrorCode();
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (code == 1045 || state.equals("28000")) {
      return new InputException(
          where
              + " rejected user '"
              + user
              + "': "
              + message
              + " (check "
              + userKey
              + " and its password in "
              + config.file()
              + ")");
    }
    if (state.startsWith("08")) {
      return new InputException(
          "cannot connect to "
              + where
              + ": "
              + message
              + " (check source.database.hostname and source.database.port)");
    }
    return new InputException(where + ": " + message);
  }

  static String name(RowguardConfig config) {
    return config.connector() == ConnectorKind.MARIADB ? "MariaDB" : "MySQL";
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /** Runs every check. */
  public static Result check(RowguardConfig config) {
    try (Connection c = connect(config)) {
      Map<String, String> vars = variables(c);
      Identity identity = identity(c, vars);
      List<String> problems = new ArrayList<>();
      checkBinlog(config, vars, identity, problems);
      Set<String> privileges = globalPrivileges(c);
      checkServerId(config, c, vars, privileges, problems);
      checkPrivileges(config, c, identity, privileges, problems);
      List<TableId> tables = capturedTables(config, c, problems);
      if (!problems.isEmpty()) {
        throw new InputException(
            name(config)
                + " at "
                + config.host()
                + ":"
                + config.port()
                + " is not ready for capture:\n  "
                + String.join("\n  ", problems));
      }
      List<String> warnings = new ArrayList<>(zeroDates(c, tables));
      warnings.addAll(foreignKeyActions(c, tables));
      return new Result(tables, serverMicros(c), identity, List.copyOf(warnings));
    } catch (SQLException e) {
      throw describe(config, e);
    }
  }

  static Map<String, String> variables(Connection c) throws SQLException {
    Map<String, String> vars = new HashMap<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format',"
                    + " 'binlog_row_image', 'binlog_row_value_options', 'log_bin_compress',"
                    + " 'binlog_transaction_compression', 'binlog_legacy_event_pos', 'server_id',"
                    + " 'server_uuid', 'gtid_mode', 'version', 'log_bin_basename',"
                    + " 'binlog_expire_logs_seconds', 'expire_logs_days')");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        vars.put(rs.getString(1).toLowerCase(Locale.ROOT), rs.getString(2));
      }
    }
    return vars;
  }

  static Identity identity(Connection c, Map<String, String> vars) {
    String version = vars.getOrDefault("version", "");
    boolean mariadb = version.toLowerCase(Locale.ROOT).contains("mariadb");
    String server =
        mariadb || vars.get("server_uuid") == null
            ? "server_id " + vars.get("server_id") + " binlog " + vars.get("log_bin_basename")
            : vars.get("server_uuid");
    boolean gtids = mariadb || "ON".equalsIgnoreCase(vars.get("gtid_mode"));
    return new Identity(server, version, mariadb, gtids);
  }

  /** A server of the other kind than the config names: what to set instead; else null. */
  static String otherKind(RowguardConfig config, Identity id) {
    if (id.mariadb() == (config.connector() == ConnectorKind.MARIADB)) {
      return null;
    }
    return "the server is "
        + (id.mariadb() ? "MariaDB" : "MySQL")
        + " "
        + id.version()
        + ": set source.connector="
        + (id.mariadb() ? "mariadb" : "mysql");
  }

  private static void checkBinlog(
      RowguardConfig config, Map<String, String> vars, Identity id, List<String> problems) {
    String other = otherKind(config, id);
    if (other != null) {
      problems.add(other);
    }
    if (!"ON".equalsIgnoreCase(vars.get("log_bin"))) {
      problems.add(
          "the binary log is off: start the server with log_bin (e.g. log-bin=binlog in my.cnf)"
              + " and restart it");
    }
    if (!"ROW".equalsIgnoreCase(vars.get("binlog_format"))) {
      problems.add(
          "binlog_format="
              + vars.get("binlog_format")
              + ": rows are logged only in ROW format: SET GLOBAL binlog_format = 'ROW'; (and"
              + " binlog_format=ROW in my.cnf)");
    }
    if (!"FULL".equalsIgnoreCase(vars.get("binlog_row_image"))) {
      problems.add(
          "binlog_row_image="
              + vars.get("binlog_row_image")
              + ": rowguard needs every column of every row version: SET GLOBAL binlog_row_image"
              + " = 'FULL'; (and binlog_row_image=FULL in my.cnf)");
    }
    String valueOptions = vars.getOrDefault("binlog_row_value_options", "");
    if (valueOptions.toUpperCase(Locale.ROOT).contains("PARTIAL_JSON")) {
      problems.add(
          "binlog_row_value_options=PARTIAL_JSON logs JSON updates as diffs: SET GLOBAL"
              + " binlog_row_value_options = '';");
    }
    if ("ON".equalsIgnoreCase(vars.get("log_bin_compress"))) {
      problems.add(
          "log_bin_compress=ON: compressed binlog events are not read: SET GLOBAL"
              + " log_bin_compress = OFF;");
    }
    if ("ON".equalsIgnoreCase(vars.get("binlog_transaction_compression"))) {
      problems.add(
          "binlog_transaction_compression=ON: compressed transactions are not read: SET GLOBAL"
              + " binlog_transaction_compression = OFF;");
    }
    if (id.mariadb() && atLeast(id.version(), 11, 4)) {
      String legacy = vars.get("binlog_legacy_event_pos");
      if (!"ON".equalsIgnoreCase(legacy) && !"1".equals(legacy)) {
        problems.add(
            "MariaDB "
                + id.version()
                + " without binlog_legacy_event_pos: Debezium needs the legacy event positions:"
                + " SET GLOBAL binlog_legacy_event_pos = 1;");
      }
    }
  }

  static boolean atLeast(String version, int major, int minor) {
    String[] parts = version.split("[.-]");
    try {
      int ma = Integer.parseInt(parts[0]);
      int mi = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
      return ma > major || (ma == major && mi >= minor);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void checkServerId(
      RowguardConfig config,
      Connection c,
      Map<String, String> vars,
      Set<String> privileges,
      List<String> problems)
      throws SQLException {
    String ours = DebeziumSettings.engineSetting(config, "database.server.id");
    if (ours == null) {
      return;
    }
    if (ours.equals(vars.get("server_id"))) {
      problems.add(
          "source.database.server.id="
              + ours
              + " is the server's own server_id: give capture an id no server or replica uses");
      return;
    }
    boolean mariadb = identity(c, vars).mariadb();
    if (mariadb
        && !privileges.contains("REPLICATION MASTER ADMIN")
        && !privileges.contains("SUPER")) {
      return; // MariaDB shows the list only to these
    }
    try {
      if (BinlogStatements.replicaServerIds(c, mariadb).contains(ours)) {
        problems.add(
            "source.database.server.id="
                + ours
                + " is in use by a replica of this server ("
                + (mariadb ? "SHOW SLAVE HOSTS" : "SHOW REPLICAS")
                + "): give capture an id of its own");
      }
    } catch (SQLException e) {
      // the list is hidden from this user; replicas that do not register are not in it anyway
    }
  }

  private static Set<String> globalPrivileges(Connection c) throws SQLException {
    Set<String> global = new HashSet<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE ="
                    + " CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
                    + " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        global.add(rs.getString(1).toUpperCase(Locale.ROOT));
      }
    }
    return global;
  }

  private static void checkPrivileges(
      RowguardConfig config, Connection c, Identity id, Set<String> global, List<String> problems)
      throws SQLException {
    Set<String> schemaSelect = new HashSet<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT TABLE_SCHEMA FROM information_schema.SCHEMA_PRIVILEGES WHERE"
                    + " PRIVILEGE_TYPE = 'SELECT' AND GRANTEE = CONCAT('''',"
                    + " SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
                    + " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        schemaSelect.add(rs.getString(1));
      }
    }
    List<String> missing = new ArrayList<>();
    if (!global.contains("REPLICATION SLAVE")) {
      missing.add("REPLICATION SLAVE");
    }
    if (!global.contains("REPLICATION CLIENT") && !global.contains("BINLOG MONITOR")) {
      missing.add(id.mariadb() ? "BINLOG MONITOR" : "REPLICATION CLIENT");
    }
    for (String p : new String[] {"RELOAD", "LOCK TABLES", "SHOW DATABASES"}) {
      if (!global.contains(p)) {
        missing.add(p);
      }
    }
    if (!global.contains("SELECT")) {
      for (String db : includedDatabases(config, c)) {
        if (!schemaSelect.contains(db)) {
          missing.add("SELECT");
          break;
        }
      }
    }
    if (!missing.isEmpty()) {
      problems.add(
          "user "
              + config.user()
              + " lacks "
              + String.join(", ", missing)
              + ": GRANT "
              + String.join(", ", missing)
              + " ON *.* TO '"
              + config.user().replace("'", "''")
              + "'@'%';");
    }
  }

  private static List<String> includedDatabases(RowguardConfig config, Connection c)
      throws SQLException {
    TableFilter filter = TableFilter.of(config, "database");
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String db = rs.getString(1);
        if (!SYSTEM.contains(db.toLowerCase(Locale.ROOT)) && filter.includesSchema(db)) {
          out.add(db);
        }
      }
    }
    return out;
  }

  private static final Set<String> SYSTEM =
      Set.of("mysql", "information_schema", "performance_schema", "sys");

  /** The captured tables; a table without a primary key is a problem. */
  static List<TableId> capturedTables(RowguardConfig config, Connection c, List<String> problems)
      throws SQLException {
    TableFilter filter = TableFilter.of(config, "database");
    List<TableId> tables = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                // STATISTICS, not TABLE_CONSTRAINTS: MariaDB hides constraints from a user with
                // SELECT only
                "SELECT t.TABLE_SCHEMA, t.TABLE_NAME, EXISTS (SELECT 1 FROM"
                    + " information_schema.STATISTICS k WHERE k.TABLE_SCHEMA = t.TABLE_SCHEMA AND"
                    + " k.TABLE_NAME = t.TABLE_NAME AND k.INDEX_NAME = 'PRIMARY') FROM"
                    + " information_schema.TABLES t WHERE t.TABLE_TYPE = 'BASE TABLE' ORDER BY 1,"
                    + " 2");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String db = rs.getString(1);
        if (SYSTEM.contains(db.toLowerCase(Locale.ROOT))) {
          continue;
        }
        TableId t = TableId.of(db, rs.getString(2));
        if (!filter.includes(t) || t.name().equals("rowguard_tag")) {
          continue; // tag rows are attribution, not captured data
        }
        if (!rs.getBoolean(3)) {
          problems.add(
              "table "
                  + t
                  + " has no primary key: rowguard identifies rows by it; add one (ALTER TABLE"
                  + " ... ADD PRIMARY KEY (...)) or leave the table out of source.table.include.list");
        }
        tables.add(t);
      }
    }
    if (tables.isEmpty()) {
      problems.add(
          "no table matches source.database.include.list / source.table.include.list: nothing"
              + " would be captured");
    }
    return tables;
  }

  /** Columns named per warning, before "and N more". */
  private static final int NAMED = 5;

  /**
   * A warning when the server's default {@code sql_mode} lets zero dates ({@code 0000-00-00},
   * {@code 2026-00-10}) into a captured table's date, datetime or timestamp columns: the binlog
   * reader (Debezium) gives such a value as NULL, or as 1970-01-01 in a NOT NULL column, so the
   * journal cannot put it back. Empty when the mode refuses them (a session can still change its
   * own mode).
   */
  static List<String> zeroDates(Connection c, List<TableId> tables) throws SQLException {
    String mode;
    try (PreparedStatement ps = c.prepareStatement("SELECT @@GLOBAL.sql_mode");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      mode = rs.getString(1) == null ? "" : rs.getString(1).toUpperCase(Locale.ROOT);
    }
    boolean strict = mode.contains("STRICT_TRANS_TABLES") || mode.contains("STRICT_ALL_TABLES");
    if (strict && mode.contains("NO_ZERO_DATE") && mode.contains("NO_ZERO_IN_DATE")) {
      return List.of();
    }
    Set<TableId> captured = new HashSet<>(tables);
    List<String> databases = tables.stream().map(TableId::schema).distinct().toList();
    if (databases.isEmpty()) {
      return List.of();
    }
    List<String> columns = new ArrayList<>();
    // only the captured databases' columns: a server's catalog of every column can be large
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS"
                + " WHERE DATA_TYPE IN ('date', 'datetime', 'timestamp') AND TABLE_SCHEMA IN ("
                + String.join(", ", java.util.Collections.nCopies(databases.size(), "?"))
                + ") ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION")) {
      for (int i = 0; i < databases.size(); i++) {
        ps.setString(i + 1, databases.get(i));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          TableId t = TableId.of(rs.getString(1), rs.getString(2));
          if (captured.contains(t)) {
            columns.add(t + "." + rs.getString(3));
          }
        }
      }
    }
    if (columns.isEmpty()) {
      return List.of();
    }
    String named = String.join(", ", columns.subList(0, Math.min(NAMED, columns.size())));
    return List.of(
        "the server's sql_mode accepts zero dates ('0000-00-00'), which the binlog reader gives as"
            + " NULL (1970-01-01 in a NOT NULL column): a rollback would write that back instead"
            + " of the zero date, in "
            + named
            + (columns.size() > NAMED ? " and " + (columns.size() - NAMED) + " more" : "")
            + ". To rule them out: SET GLOBAL sql_mode ="
            + " CONCAT(@@GLOBAL.sql_mode, ',STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE')"
            + " (and in the server's config file)");
  }

  /**
   * A warning naming each foreign key whose action (ON DELETE or ON UPDATE CASCADE, SET NULL, SET
   * DEFAULT) changes a captured table's rows: the storage engine makes those changes itself and the
   * binlog never carries them, so the journal does not see them.
   */
  static List<String> foreignKeyActions(Connection c, List<TableId> tables) throws SQLException {
    Set<TableId> captured = new HashSet<>(tables);
    List<String> keys = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_SCHEMA,"
                    + " REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE FROM"
                    + " information_schema.REFERENTIAL_CONSTRAINTS WHERE DELETE_RULE IN"
                    + " ('CASCADE', 'SET NULL', 'SET DEFAULT') OR UPDATE_RULE IN ('CASCADE', 'SET"
                    + " NULL', 'SET DEFAULT') ORDER BY 1, 2, 3");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        TableId child = TableId.of(rs.getString(1), rs.getString(2));
        if (captured.contains(child)) {
          keys.add(
              child
                  + "."
                  + rs.getString(3)
                  + " (ON DELETE "
                  + rs.getString(6)
                  + ", ON UPDATE "
                  + rs.getString(7)
                  + " from "
                  + TableId.of(rs.getString(4), rs.getString(5))
                  + ")");
        }
      }
    }
    if (keys.isEmpty()) {
      return List.of();
    }
    return List.of(
        "the binlog does not carry the changes foreign key actions make, so the journal never sees"
            + " them: "
            + String.join(", ", keys.subList(0, Math.min(NAMED, keys.size())))
            + (keys.size() > NAMED ? " and " + (keys.size() - NAMED) + " more" : "")
            + ". Those rows' history stops at the action, and a rollback finds them changed (a"
            + " conflict, never overwritten unseen); delete or update the child rows in the"
            + " application's own statements to have them journaled");
  }

  private static long serverMicros(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT UNIX_TIMESTAMP(NOW(6))");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBigDecimal(1).movePointRight(6).longValue();
    }
  }
}
