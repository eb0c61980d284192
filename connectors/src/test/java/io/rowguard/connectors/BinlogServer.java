package io.rowguard.connectors;

import io.rowguard.core.RowguardConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** What tests that run on MariaDB and MySQL alike ask of either server. */
public interface BinlogServer extends AutoCloseable {
  /** A connection as root to the tests' database. */
  Connection connect() throws SQLException;

  /** A config capturing {@code includeList} (db.table patterns) as replica {@code serverId}. */
  default RowguardConfig config(Path journalDir, String includeList, int serverId) {
    return RowguardConfig.of(
        journalDir.resolve("rowguard.properties"),
        configProperties(journalDir, includeList, serverId),
        env -> null);
  }

  /** The GTID of the last transaction {@code s}'s session committed. */
  String lastGtid(Statement s) throws SQLException;

  /** A config's properties capturing {@code includeList} as replica {@code serverId}. */
  java.util.Map<String, String> configProperties(Path journalDir, String includeList, int serverId);

  /** Creates a least-privilege capture user: what the docs tell users to grant. */
  void createCaptureUser(String user, String password) throws SQLException;

  /** Runs {@code sql}, each in turn on one connection as root. */
  void exec(String... sql) throws SQLException;

  /**
   * The server's own binlog decoder ({@code mariadb-binlog}, {@code mysqlbinlog}) with {@code
   * --verbose} decoding {@code files} (names as {@code SHOW BINARY LOGS} gives them) from {@code
   * position}: the command line to run.
   */
  java.util.List<String> decodeBinlog(java.util.List<String> files, long position);

  /** Kills the server (SIGKILL) and starts it again on the same port and data. */
  void crashAndRestart() throws java.io.IOException;

  /** Rows {@code 1..n} as a VALUES list, {@code (…), (…)}, written the same on either server. */
  static String rows(int n, java.util.function.IntFunction<String> row) {
    return String.join(
        ", ",
        java.util.stream.IntStream.rangeClosed(1, n)
            .mapToObj(i -> "(" + row.apply(i) + ")")
            .toList());
  }
}
