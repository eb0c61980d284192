package io.rowguard.replay;

import io.rowguard.connectors.MySqlFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The type matrix, conflicts and foreign-key order on a MySQL server of the class's own. */
class MySqlTypeMatrixIT extends BinlogTypeMatrix {
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
