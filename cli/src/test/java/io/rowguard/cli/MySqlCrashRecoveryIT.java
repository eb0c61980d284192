package io.rowguard.cli;

import io.rowguard.connectors.MySqlFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The kill -9 test on a private MySQL of its own, against MySQL's own {@code mysqlbinlog}. */
class MySqlCrashRecoveryIT extends BinlogCrashRecovery {
  private static MySqlFixture mysql;

  @BeforeAll
  static void mySql() {
    mysql = MySqlFixture.start();
    db = mysql;
  }

  @AfterAll
  static void stop() throws Exception {
    if (mysql != null) {
      mysql.close();
    }
  }
}
