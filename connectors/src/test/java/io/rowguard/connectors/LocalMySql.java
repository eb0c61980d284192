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
 * A private MySQL server run from a Debian root that {@code .ci/mysql-root} builds (Debian ships
 * MySQL only in sid, whose C library is newer than this machine's): {@code chroot ROOT
 * /usr/sbin/mysqld --no-defaults ...} with its data under {@code ROOT/srv/<name>}, binlog with
 * GTIDs, on a free port of 127.0.0.1. The root is {@code $ROWGUARD_MYSQL_ROOT}, else {@code
 * /opt/rowguard-mysql}. {@link #close} stops the server and deletes its files.
 */
final class LocalMySql implements AutoCloseable {
  private final Path root;
  private final String name;
  private final int port;
  private Process server;

  private LocalMySql(Path root, String name, int port) {
    this.root = root;
    this.name = name;
    this.port = port;
  }

  /** The Debian root holding {@code mysqld}, or empty when none was built here. */
  static Optional<Path> root() {
    String configured = System.getenv("ROWGUARD_MYSQL_ROOT");
    Path root =
        Path.of(configured == null || configured.isBlank() ? "/opt/rowguard-mysql" : configured);
    return Files.isExecutable(root.resolve("usr/sbin/mysqld"))
        ? Optional.of(root)
        : Optional.empty();
  }

  /** Initialises and starts a server in a new directory under the root's {@code srv}. */
  static LocalMySql start() throws IOException {
    Path root = root().orElseThrow();
    Files.createDirectories(root.resolve("srv"));
    String name =
        Files.createTempDirectory(root.resolve("srv"), "rowguard").getFileName().toString();
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    LocalMySql db = new LocalMySql(root, name, port);
    try {
      db.run(
          "--initialize-insecure",
          "--datadir=" + db.inside("data"),
          "--log-error=" + db.inside("init.log"),
          "--innodb-redo-log-capacity=8M");
      db.launch();
      return db;
    } catch (IOException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /** A path inside the chroot, under this server's directory. */
  private String inside(String file) {
    return "/srv/" + name + "/" + file;
  }

  private Path onHost(String file) {
    return root.resolve("srv").resolve(name).resolve(file);
  }

  private List<String> command(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("chroot");
    cmd.add(root.toString());
    cmd.add("/usr/sbin/mysqld");
    cmd.add("--no-defaults");
    cmd.add("--user=root");
    cmd.addAll(List.of(args));
    return cmd;
  }

  private void run(String... args) throws IOException {
    Process p = new ProcessBuilder(command(args)).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes()).strip();
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("mysqld " + args[0] + " failed: " + out + " " + log("init.log"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while initialising MySQL", e);
    }
  }

  private void launch() throws IOException {
    server =
        new ProcessBuilder(
                command(
                    "--datadir=" + inside("data"),
                    "--port=" + port,
                    "--bind-address=127.0.0.1",
                    "--socket=" + inside("mysqld.sock"),
                    "--pid-file=" + inside("mysqld.pid"),
                    "--log-error=" + inside("error.log"),
                    "--secure-file-priv=NULL",
                    "--mysqlx=OFF",
                    "--log-bin=binlog",
                    "--binlog-format=ROW",
                    "--binlog-row-image=FULL",
                    "--binlog-rows-query-log-events=ON",
                    "--server-id=1",
                    "--gtid-mode=ON",
                    "--enforce-gtid-consistency=ON",
                    "--innodb-flush-log-at-trx-commit=2",
                    "--sync-binlog=0",
                    "--innodb-buffer-pool-size=64M"))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    ServerProcess.awaitAccepting("mysqld", server, () -> connect(""), () -> log("error.log"));
  }

  private String log(String file) {
    return ServerProcess.read(onHost(file));
  }

  /** {@code mysqlbinlog --verbose} of {@code files} from {@code position}, run in the root. */
  List<String> decodeBinlog(List<String> files, long position) {
    List<String> cmd = new ArrayList<>();
    cmd.add("chroot");
    cmd.add(root.toString());
    cmd.add("/usr/bin/mysqlbinlog");
    cmd.add("--no-defaults");
    cmd.add("--verbose");
    cmd.add("--base64-output=DECODE-ROWS");
    cmd.add("--start-position=" + position);
    files.forEach(f -> cmd.add(inside("data/" + f)));
    return cmd;
  }

  int port() {
    return port;
  }

  /** The server's data directory, as the host sees it (its binlogs are there). */
  Path dataDir() {
    return onHost("data");
  }

  /** A connection as root (empty password) to {@code database} (empty: none). */
  Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:mariadb://127.0.0.1:" + port + "/" + database + "?allowPublicKeyRetrieval=true",
        "root",
        "");
  }

  /** Kills the server (SIGKILL) and starts it again on the same port and data. */
  void crashAndRestart() throws IOException {
    ServerProcess.kill(server);
    launch();
  }

  /** Stops the server (SIGTERM, then SIGKILL after 30 s) and deletes its files. */
  @Override
  public void close() throws IOException {
    ServerProcess.stopAndDelete(server, root.resolve("srv").resolve(name));
  }
}
