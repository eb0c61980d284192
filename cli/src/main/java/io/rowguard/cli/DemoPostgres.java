package io.rowguard.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The demo's PostgreSQL 17, embedded. Its classes come from rowguard-demo.jar, not rowguard.jar:
 * only this class names them, and it is loaded only when the PostgreSQL demo runs.
 */
final class DemoPostgres implements AutoCloseable {
  private final EmbeddedPostgres pg;

  private DemoPostgres(EmbeddedPostgres pg) {
    this.pg = pg;
  }

  /** True when the embedded PostgreSQL is on the class path. */
  static boolean available() {
    try {
      Class.forName(
          "io.zonky.test.db.postgres.embedded.EmbeddedPostgres",
          false,
          DemoPostgres.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Starts a server with logical replication. */
  static DemoPostgres start() throws IOException {
    return new DemoPostgres(
        EmbeddedPostgres.builder()
            .setServerConfig("wal_level", "logical")
            .setServerConfig("max_wal_senders", "4")
            .setServerConfig("max_replication_slots", "4")
            .start());
  }

  int port() {
    return pg.getPort();
  }

  Connection connect() throws SQLException {
    return pg.getPostgresDatabase().getConnection();
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
