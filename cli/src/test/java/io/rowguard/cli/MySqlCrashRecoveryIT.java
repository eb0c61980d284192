package io.rowguard.cli;

import io.rowguard.connectors.MySqlExtension;
import io.rowguard.connectors.MySqlFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The kill -9 test on the JVM's shared MySQL, against MySQL's own {@code mysqlbinlog}. */
@ExtendWith(MySqlExtension.class)
class MySqlCrashRecoveryIT extends BinlogCrashRecovery {
  private static MySqlFixture mysql;

  @BeforeAll
  static void mySql(MySqlFixture shared) {
    mysql = shared;
    db = shared;
  }
}
