package io.rowguard.connectors;

import io.rowguard.core.RowguardConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A private MariaDB server with the binlog settings capture needs, started by the test itself from
 * the machine's {@code mariadbd} ({@code --no-defaults}: no system my.cnf, service or port is
 * touched). About 2 s to initialise and start.
 */
public final class MariaDbFixture implements AutoCloseable {
  /** The database tests create their tables in. */
  public static final String DATABASE = "shop";

  private final Path dir;
  private final int port;
  private Process server;

  private MariaDbFixture(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Where the server binaries are, or empty when MariaDB is not installed here. */
  public static Optional<Path> binaries() {
    for (String d : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}) {
      Path p = Path.of(d, "mariadbd");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Starts a new server in a new temporary directory; a test on a machine without {@code mariadbd}
   * is skipped, saying what to install.
   */
  public static MariaDbFixture start() {
    Assumptions.assumeTrue(
        binaries().isPresent(),
        "mariadbd is not installed here: apt-get install -y mariadb-server to run MariaDB tests");
    try {
      Path dir = Files.createTempDirectory("rowguard-mariadb");
      MariaDbFixture f = new MariaDbFixture(dir, freePort());
      f.install();
      f.launch();
      f.exec("CREATE DATABASE " + DATABASE);
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private void install() throws IOException {
    Path log = dir.resolve("install.log");
    Process p =
        new ProcessBuilder(
                "mariadb-install-db",
                "--no-defaults",
                "--user=" + System.getProperty("user.name"),
                "--datadir=" + dir.resolve("data"),
                "--auth-root-authentication-method=normal",
                "--skip-test-db")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(
            "mariadb-install-db failed: " + Files.readString(log).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void launch() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binaries().orElseThrow().toString());
    cmd.add("--no-defaults");
    cmd.add("--user=" + System.getProperty("user.name"));
    cmd.add("--datadir=" + dir.resolve("data"));
    cmd.add("--port=" + port);
    cmd.add("--socket=" + dir.resolve("m.sock"));
    cmd.add("--bind-address=127.0.0.1");
    cmd.add("--pid-file=" + dir.resolve("m.pid"));
    cmd.add("--log-error=" + dir.resolve("err.log"));
    cmd.add("--log-bin=" + dir.resolve("data").resolve("binlog"));
    cmd.add("--binlog-format=ROW");
    cmd.add("--binlog-row-image=FULL");
    cmd.add("--server-id=1");
    cmd.add("--binlog-annotate-row-events=ON");
    cmd.add("--innodb-flush-log-at-trx-commit=2");
    cmd.add("--sync-binlog=0");
    cmd.add("--innodb-buffer-pool-size=64M");
    server =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IllegalStateException(
            "mariadbd exited with " + server.exitValue() + ": " + errorLog());
      }
      try (Connection c = connectAsRoot("")) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("mariadbd did not accept connections in 60 s: " + last);
  }

  private String errorLog() {
    try {
      return Files.readString(dir.resolve("err.log")).strip();
    } catch (IOException e) {
      return "(no error log)";
    }
  }

  public int port() {
    return port;
  }

  /** The server's data directory. */
  public Path dataDir() {
    return dir.resolve("data");
  }

  private Connection connectAsRoot(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://127.0.0.1:" + port + "/" + database, "root", "");
  }

  /** A connection as root to {@link #DATABASE}. */
  public Connection connect() throws SQLException {
    return connectAsRoot(DATABASE);
  }

  public void exec(String... sql) throws SQLException {
    try (Connection c = connectAsRoot("");
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Creates a least-privilege capture user: what the docs tell users to grant. */
  public void createCaptureUser(String user, String password) throws SQLException {
    exec(
        "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
        "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT, RELOAD, SHOW DATABASES, LOCK TABLES"
            + " ON *.* TO '"
            + user
            + "'@'%'");
  }

  /** A config for this server capturing {@code includeList} (db.table patterns). */
  public Map<String, String> configProperties(Path journalDir, String includeList, int serverId) {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "mariadb");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(port));
    p.put("source.database.user", "root");
    p.put("source.database.password", "");
    p.put("source.database.include.list", DATABASE);
    p.put("source.table.include.list", includeList);
    p.put("source.database.server.id", Integer.toString(serverId));
    p.put("journal.dir", journalDir.toString());
    return p;
  }

  public RowguardConfig config(Path journalDir, String includeList, int serverId) {
    return RowguardConfig.of(
        journalDir.resolve("rowguard.properties"),
        configProperties(journalDir, includeList, serverId),
        env -> null);
  }

  /** Kills the server (SIGKILL) and starts it again on the same port and data. */
  public void crashAndRestart() throws IOException {
    server.destroyForcibly();
    try {
      server.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    launch();
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.destroy();
      try {
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
