package io.rowguard.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** A private MariaDB server ({@link LocalMariaDb}) for a test class, with a database to use. */
public final class MariaDbFixture implements BinlogServer, AutoCloseable {
  /** The database tests create their tables in. */
  public static final String DATABASE = "shop";

  private final LocalMariaDb server;

  private MariaDbFixture(LocalMariaDb server) {
    this.server = server;
  }

  /**
   * Starts a new server in a new temporary directory; a test on a machine without {@code mariadbd}
   * is skipped, saying what to install.
   */
  public static MariaDbFixture start() {
    Assumptions.assumeTrue(
        LocalMariaDb.binaries().isPresent(),
        "mariadbd is not installed here: apt-get install -y mariadb-server to run MariaDB tests");
    try {
      MariaDbFixture f = new MariaDbFixture(LocalMariaDb.start());
      f.exec("CREATE DATABASE " + DATABASE);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public int port() {
    return server.port();
  }

  /** The server's data directory. */
  public Path dataDir() {
    return server.dataDir();
  }

  @Override
  public String lastGtid(Statement s) throws SQLException {
    try (java.sql.ResultSet rs = s.executeQuery("SELECT @@last_gtid")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** A connection as root to {@link #DATABASE}. */
  @Override
  public Connection connect() throws SQLException {
    return server.connect(DATABASE);
  }

  @Override
  public java.util.List<String> decodeBinlog(java.util.List<String> files, long position) {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add("mariadb-binlog");
    cmd.add("--no-defaults");
    cmd.add("--verbose");
    cmd.add("--base64-output=DECODE-ROWS");
    cmd.add("--start-position=" + position);
    files.forEach(f -> cmd.add(dataDir().resolve(f).toString()));
    return cmd;
  }

  @Override
  public void exec(String... sql) throws SQLException {
    try (Connection c = server.connect("");
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Creates a least-privilege capture user: what the docs tell users to grant. */
  @Override
  public void createCaptureUser(String user, String password) throws SQLException {
    exec(
        "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
        "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT, RELOAD, SHOW DATABASES, LOCK TABLES"
            + " ON *.* TO '"
            + user
            + "'@'%'");
  }

  /** A config for this server capturing {@code includeList} (db.table patterns). */
  @Override
  public Map<String, String> configProperties(Path journalDir, String includeList, int serverId) {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "mariadb");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(port()));
    p.put("source.database.user", "root");
    p.put("source.database.password", "");
    p.put("source.database.include.list", DATABASE);
    p.put("source.table.include.list", includeList);
    p.put("source.database.server.id", Integer.toString(serverId));
    p.put("journal.dir", journalDir.toString());
    return p;
  }

  /** Kills the server (SIGKILL) and starts it again on the same port and data. */
  @Override
  public void crashAndRestart() throws IOException {
    server.crashAndRestart();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
