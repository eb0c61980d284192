package io.rowguard.connectors;

import io.rowguard.core.RowguardConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** What tests that run on MariaDB and MySQL alike ask of either server. */
public interface BinlogServer {
  /** A connection as root to the tests' database. */
  Connection connect() throws SQLException;

  /** A config capturing {@code includeList} (db.table patterns) as replica {@code serverId}. */
  RowguardConfig config(Path journalDir, String includeList, int serverId);

  /** The GTID of the last transaction {@code s}'s session committed. */
  String lastGtid(Statement s) throws SQLException;
}
