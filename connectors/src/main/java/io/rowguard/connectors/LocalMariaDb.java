package io.rowguard.connectors;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A private MariaDB server with the binlog settings capture needs, run from the machine's own
 * {@code mariadbd} in a directory of its own ({@code --no-defaults}: no system my.cnf, service or
 * port is touched), for {@code rowguard demo --db mariadb} and tests. About 2 s to initialise and
 * start. {@link #close} stops it and deletes its files.
 */
public final class LocalMariaDb implements AutoCloseable {
  private final Path dir;
  private final int port;
  private Process server;

  private LocalMariaDb(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Where {@code mariadbd} is, or empty when MariaDB is not installed here. */
  public static Optional<Path> binaries() {
    for (String d : new String[] {"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"}) {
      Path p = Path.of(d, "mariadbd");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Initialises and starts a server in a new temporary directory, on a free port. */
  public static LocalMariaDb start() throws IOException {
    Path dir = Files.createTempDirectory("rowguard-mariadb");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LocalMariaDb db = new LocalMariaDb(dir, port);
    try {
      db.install();
      db.launch();
      return db;
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  private void install() throws IOException {
    Path log = dir.resolve("install.log");
    Path tool = binaries().orElseThrow().resolveSibling("mariadb-install-db");
    Process p =
        new ProcessBuilder(
                Files.isExecutable(tool) ? tool.toString() : "mariadb-install-db",
                "--no-defaults",
                "--user=" + System.getProperty("user.name"),
                "--datadir=" + dataDir(),
                "--auth-root-authentication-method=normal",
                "--skip-test-db")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("mariadb-install-db failed: " + Files.readString(log).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while initialising MariaDB", e);
    }
  }

  private void launch() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binaries().orElseThrow().toString());
    cmd.add("--no-defaults");
    cmd.add("--user=" + System.getProperty("user.name"));
    cmd.add("--datadir=" + dataDir());
    cmd.add("--port=" + port);
    cmd.add("--socket=" + dir.resolve("m.sock"));
    cmd.add("--bind-address=127.0.0.1");
    cmd.add("--pid-file=" + dir.resolve("m.pid"));
    cmd.add("--log-error=" + dir.resolve("err.log"));
    cmd.add("--log-bin=" + dataDir().resolve("binlog"));
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
    ServerProcess.awaitAccepting(
        "mariadbd", server, () -> connect(""), () -> ServerProcess.read(dir.resolve("err.log")));
  }

  public int port() {
    return port;
  }

  /** The server's data directory (its binlogs are there). */
  public Path dataDir() {
    return dir.resolve("data");
  }

  /** A connection as root to {@code database} (empty: none). */
  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://127.0.0.1:" + port + "/" + database, "root", "");
  }

  /** Kills the server (SIGKILL) and starts it again on the same port and data. */
  public void crashAndRestart() throws IOException {
    ServerProcess.kill(server);
    launch();
  }

  /** Stops the server (SIGTERM, then SIGKILL after 30 s) and deletes its files. */
  @Override
  public void close() throws IOException {
    ServerProcess.stopAndDelete(server, dir);
  }
}
