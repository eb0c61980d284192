package io.rowguard.connectors.internal.mysql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The statements whose names MySQL changed: 8.2 added {@code SHOW BINARY LOG STATUS} and 8.4
 * removed {@code SHOW MASTER STATUS}; 8.0.22 added {@code SHOW REPLICAS} and 8.4 removed {@code
 * SHOW SLAVE HOSTS}. MariaDB keeps the old names. The new name is tried first on MySQL, the old one
 * where the server does not know it.
 */
final class BinlogStatements {
  private BinlogStatements() {}

  /** Where the server's binlog ends, as {@code file:position}, or empty with binlog off. */
  static Optional<String> end(Connection c, boolean mariadb) throws SQLException {
    try (ResultSet rs = query(c, mariadb, "SHOW BINARY LOG STATUS", "SHOW MASTER STATUS")) {
      return rs.next() ? Optional.of(rs.getString(1) + ":" + rs.getLong(2)) : Optional.empty();
    }
  }

  /** The server ids of the replicas registered with the server. */
  static Set<String> replicaServerIds(Connection c, boolean mariadb) throws SQLException {
    Set<String> ids = new HashSet<>();
    try (ResultSet rs = query(c, mariadb, "SHOW REPLICAS", "SHOW SLAVE HOSTS")) {
      while (rs.next()) {
        ids.add(rs.getString("Server_id"));
      }
    }
    return ids;
  }

  /** The result set closes its statement. */
  private static ResultSet query(Connection c, boolean mariadb, String mysql, String old)
      throws SQLException {
    if (!mariadb) {
      try {
        return run(c, mysql);
      } catch (SQLException e) {
        if (!"42000".equals(e.getSQLState())) { // syntax error: an older MySQL
          throw e;
        }
      }
    }
    return run(c, old);
  }

  private static ResultSet run(Connection c, String sql) throws SQLException {
    PreparedStatement ps = c.prepareStatement(sql);
    try {
      ps.closeOnCompletion();
      return ps.executeQuery();
    } catch (SQLException e) {
      ps.close();
      throw e;
    }
  }
}
