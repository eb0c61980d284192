package io.rowguard.replay;

import io.rowguard.core.ConnectorKind;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** Which SQL a plan is written in: PostgreSQL's, or MySQL's and MariaDB's. */
public enum SqlDialect {
  POSTGRES,
  MYSQL;

  public static SqlDialect of(ConnectorKind kind) {
    return kind == ConnectorKind.POSTGRES ? POSTGRES : MYSQL;
  }

  /** The dialect of the database {@code connection} is to. */
  public static SqlDialect of(Connection connection) {
    try {
      String product = connection.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
      return product.contains("mysql") || product.contains("mariadb") ? MYSQL : POSTGRES;
    } catch (SQLException e) {
      throw new ReplayException("could not tell which database the connection is to", e);
    }
  }
}
