package io.rowguard.cli;

import io.rowguard.connectors.MariaDbExtension;
import io.rowguard.connectors.MariaDbFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The kill -9 test on the JVM's shared private MariaDB, against {@code mariadb-binlog}. */
@ExtendWith(MariaDbExtension.class)
class MariaDbCrashRecoveryIT extends BinlogCrashRecovery {
  @BeforeAll
  static void mariaDb(MariaDbFixture shared) {
    db = shared;
  }
}
