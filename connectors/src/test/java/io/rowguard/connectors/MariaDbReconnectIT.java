package io.rowguard.connectors;

/** Lost connections on a private MariaDB of the test's own, against {@code mariadb-binlog}. */
class MariaDbReconnectIT extends BinlogReconnect {
  @Override
  BinlogServer startServer() {
    return MariaDbFixture.start();
  }
}
