package io.rowguard.connectors.internal;

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
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before Debezium starts, that PostgreSQL can be captured exactly: the server is reachable
 * with the given credentials, {@code wal_level} is logical, and every captured table has a primary
 * key and {@code REPLICA IDENTITY FULL}. Each problem becomes one line that says what to change.
 */
public final class PostgresPreflight {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresPreflight.class);

  /** A captured table and what the catalog says about it. */
  public record CapturedTable(
      TableId table,
      boolean hasPrimaryKey,
      char replicaIdentity,
      boolean canSelect,
      boolean owned) {}

  /**
   * What the checks found.
   *
   * @param tables the captured tables
   * @param serverMicros the server's clock when the checks ran: earlier than the replication slot
   *     and so than the initial snapshot's consistent point
   */
  public record Result(List<CapturedTable> tables, long serverMicros) {}

  private PostgresPreflight() {}

  /** Opens a JDBC connection, turning connection failures into one-line input errors. */
  public static Connection connect(RowguardConfig config) {
    config.requireSource();
    String url =
        "jdbc:postgresql://" + config.host() + ":" + config.port() + "/" + config.database();
    Properties props = new Properties();
    props.setProperty("user", config.user());
    props.setProperty("password", config.password());
    props.setProperty("connectTimeout", "10");
    props.setProperty("ApplicationName", "rowguard");
    try {
      return DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw describe(config, e);
    }
  }

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
              + " (check source.database.user and source.database.password)");
    }
    if (state.equals("3D000")) {
      return new InputException(
          where + " has no database '" + config.database() + "' (check source.database.dbname)");
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

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /**
   * Runs every check; with {@code capture.fix-replica-identity=true} sets REPLICA IDENTITY FULL on
   * tables that lack it. Returns the captured tables.
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
      List<CapturedTable> tables = capturedTables(config, c);
      List<String> problems = new ArrayList<>();
      for (CapturedTable t : tables) {
        if (!t.hasPrimaryKey()) {
          problems.add(
              "table "
                  + t.table()
                  + " has no primary key; rowguard identifies rows by it: add"
                  + " one, or leave the table out of source.table.include.list");
        } else if (t.replicaIdentity() != 'f') {
          String fix = "ALTER TABLE " + t.table().quoted() + " REPLICA IDENTITY FULL;";
          if (config.fixReplicaIdentity()) {
            try (Statement s = c.createStatement()) {
              s.execute(fix);
              LOG.info("Ran {}", fix);
            }
          } else {
            problems.add(
                "table "
                    + t.table()
                    + " has REPLICA IDENTITY "
                    + identityName(t.replicaIdentity())
                    + ", so the log would not carry full before images; run: "
                    + fix
                    + " (or set capture.fix-replica-identity=true)");
          }
        }
      }
      checkPrivileges(config, c, tables, problems);
      checkNamedTables(config, c, tables, problems);
      if (!problems.isEmpty()) {
        throw new InputException(String.join("\n", problems));
      }
      return new Result(tables, serverMicros);
    } catch (SQLException e) {
      throw describe(config, e);
    }
  }

  /** Replication, SELECT on every table, and a publication that exists or can be created. */
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
    String user = TableId.quote(config.user());
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
                + t.table().quoted()
                + " TO "
                + user
                + ";");
      }
    }
    String publication =
        config
            .source()
            .getOrDefault(
                "publication.name", DebeziumSettings.defaults(config).get("publication.name"));
    String mode =
        config
            .source()
            .getOrDefault(
                "publication.autocreate.mode",
                DebeziumSettings.defaults(config).get("publication.autocreate.mode"));
    boolean exists;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, publication);
      try (ResultSet rs = ps.executeQuery()) {
        exists = rs.next();
      }
    }
    if (exists || superuser) {
      return;
    }
    String create =
        "CREATE PUBLICATION "
            + TableId.quote(publication)
            + " FOR TABLE "
            + String.join(", ", tables.stream().map(t -> t.table().quoted()).toList())
            + ";";
    if ("disabled".equalsIgnoreCase(mode)) {
      problems.add(
          "publication "
              + publication
              + " does not exist and publication.autocreate.mode is"
              + " disabled; as the tables' owner run: "
              + create);
      return;
    }
    boolean canCreate;
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT has_database_privilege(current_database(), 'CREATE')")) {
      rs.next();
      canCreate = rs.getBoolean(1);
    }
    boolean ownsAll = tables.stream().allMatch(CapturedTable::owned);
    if (!canCreate || !ownsAll) {
      problems.add(
          "publication "
              + publication
              + " does not exist and user "
              + config.user()
              + " cannot create it (that needs CREATE on database "
              + config.database()
              + " and ownership of the captured tables); as the tables' owner run: "
              + create);
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
    List<Pattern> includeTables = patterns(config.source().get("table.include.list"));
    List<Pattern> excludeTables = patterns(config.source().get("table.exclude.list"));
    List<Pattern> includeSchemas = patterns(config.source().get("schema.include.list"));
    List<Pattern> excludeSchemas = patterns(config.source().get("schema.exclude.list"));
    String sql =
        "SELECT n.nspname, c.relname, c.relreplident,"
            + " EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p'),"
            + " has_table_privilege(c.oid, 'SELECT'), pg_has_role(c.relowner, 'USAGE')"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'"
            + " ORDER BY 1, 2";
    List<CapturedTable> out = new ArrayList<>();
    List<String> all = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        TableId t = TableId.of(rs.getString(1), rs.getString(2));
        String qualified = t.schema() + "." + t.name();
        all.add(t.toString());
        boolean included =
            (includeTables.isEmpty() || matchesAny(includeTables, qualified))
                && !matchesAny(excludeTables, qualified)
                && (includeSchemas.isEmpty() || matchesAny(includeSchemas, t.schema()))
                && !matchesAny(excludeSchemas, t.schema());
        if (included) {
          out.add(
              new CapturedTable(
                  t,
                  rs.getBoolean(4),
                  rs.getString(3).charAt(0),
                  rs.getBoolean(5),
                  rs.getBoolean(6)));
        }
      }
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

  private static List<Pattern> patterns(String list) {
    List<Pattern> out = new ArrayList<>();
    if (list == null || list.isBlank()) {
      return out;
    }
    for (String p : list.split(",")) {
      if (!p.isBlank()) {
        out.add(Pattern.compile(p.trim(), Pattern.CASE_INSENSITIVE));
      }
    }
    return out;
  }

  private static boolean matchesAny(List<Pattern> patterns, String text) {
    for (Pattern p : patterns) {
      if (p.matcher(text).matches()) {
        return true;
      }
    }
    return false;
  }
}
