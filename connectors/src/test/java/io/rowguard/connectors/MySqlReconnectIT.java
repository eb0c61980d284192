package io.rowguard.connectors;

/** Lost connections on a private MySQL of the test's own, against {@code mysqlbinlog}. */
class MySqlReconnectIT extends BinlogReconnect {
  @Override
  BinlogServer startServer() {
    return MySqlFixture.start();
  }
}
