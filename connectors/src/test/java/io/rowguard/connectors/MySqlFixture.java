package io.rowguard.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.MySQLContainer;

/**
 * A MySQL server for a test class, with a database to use: a private {@code mysqld} from the root
 * {@code .ci/mysql-root} builds ({@link LocalMySql}), else the official {@code mysql:8.4} image
 * where a Docker engine runs, else the test is skipped, saying what to run.
 */
public final class MySqlFixture implements BinlogServer, AutoCloseable {
  /** The database tests create their tables in. */
  public static final String DATABASE = "shop";

  private final LocalMySql local;
  private final MySQLContainer<?> container;

  private MySqlFixture(LocalMySql local, MySQLContainer<?> container) {
    this.local = local;
    this.container = container;
  }

  /** Starts a new server; see the class comment for which. */
  public static MySqlFixture start() {
    try {
      MySqlFixture f;
      if (LocalMySql.root().isPresent()) {
        f = new MySqlFixture(LocalMySql.start(), null);
      } else {
        Assumptions.assumeTrue(
            DockerClientFactory.instance().isDockerAvailable(),
            "no MySQL here: run .ci/mysql-root (as root) to build one, or start a Docker engine");
        MySQLContainer<?> c =
            new MySQLContainer<>("mysql:8.4")
                .withCommand(
                    "--server-id=1",
                    "--log-bin=binlog",
                    "--binlog-format=ROW",
                    "--binlog-row-image=FULL",
                    "--gtid-mode=ON",
                    "--enforce-gtid-consistency=ON",
                    "--binlog-rows-query-log-events=ON");
        c.start();
        f = new MySqlFixture(null, c);
      }
      f.exec("CREATE DATABASE IF NOT EXISTS " + DATABASE);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public String host() {
    return local != null ? "127.0.0.1" : container.getHost();
  }

  public int port() {
    return local != null ? local.port() : container.getMappedPort(3306);
  }

  /** The root user's password. */
  public String password() {
    return local != null ? "" : container.getPassword();
  }

  /** The server's version, as {@code SELECT VERSION()} gives it. */
  public String version() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT VERSION()")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /**
   * The highest GTID of this server's own: MySQL tells a session its last GTID only through session
   * tracking, so this holds for tests whose server has one writer at a time.
   */
  @Override
  public String lastGtid(Statement s) throws SQLException {
    try (java.sql.ResultSet rs =
        s.executeQuery("SELECT @@server_uuid, GTID_SUBTRACT(@@gtid_executed, '')")) {
      rs.next();
      String uuid = rs.getString(1);
      for (String part : rs.getString(2).replace("\n", "").split(",")) {
        if (part.startsWith(uuid + ":")) {
          String range = part.substring(part.lastIndexOf(':') + 1);
          return uuid + ":" + range.substring(range.indexOf('-') + 1);
        }
      }
      throw new IllegalStateException("no GTID of " + uuid + " in " + rs.getString(2));
    }
  }

  /** A connection as root to {@link #DATABASE}. */
  @Override
  public Connection connect() throws SQLException {
    return connect(DATABASE);
  }

  private Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://"
            + host()
            + ":"
            + port()
            + "/"
            + database
            + "?allowPublicKeyRetrieval=true",
        "root",
        password());
  }

  @Override
  public java.util.List<String> decodeBinlog(java.util.List<String> files, long position) {
    Assumptions.assumeTrue(local != null, "the container's binlog is not decoded here");
    return local.decodeBinlog(files, position);
  }

  @Override
  public void exec(String... sql) throws SQLException {
    try (Connection c = connect("");
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Creates a least-privilege capture user: what the docs tell users to grant on MySQL. */
  @Override
  public void createCaptureUser(String user, String password) throws SQLException {
    exec(
        "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
        "GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES, LOCK TABLES"
            + " ON *.* TO '"
            + user
            + "'@'%'");
  }

  /** A config for this server capturing {@code includeList} (db.table patterns). */
  @Override
  public Map<String, String> configProperties(Path journalDir, String includeList, int serverId) {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "mysql");
    p.put("source.database.hostname", host());
    p.put("source.database.port", Integer.toString(port()));
    p.put("source.database.user", "root");
    p.put("source.database.password", password());
    p.put("source.database.include.list", DATABASE);
    p.put("source.table.include.list", includeList);
    p.put("source.database.server.id", Integer.toString(serverId));
    p.put("journal.dir", journalDir.toString());
    return p;
  }

  /** Kills the server (SIGKILL) and starts it again on the same port and data; local only. */
  @Override
  public void crashAndRestart() throws IOException {
    Assumptions.assumeTrue(local != null, "a container's server is not restarted in place");
    local.crashAndRestart();
  }

  @Override
  public void close() throws IOException {
    if (local != null) {
      local.close();
    } else {
      container.stop();
    }
  }
}
