package io.rowguard.replay;

import io.rowguard.connectors.MySqlExtension;
import io.rowguard.connectors.MySqlFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The type matrix, conflicts and foreign-key order on the JVM's shared MySQL. */
@ExtendWith(MySqlExtension.class)
class MySqlTypeMatrixIT extends BinlogTypeMatrix {
  private static MySqlFixture mysql;

  @BeforeAll
  static void mySql(MySqlFixture shared) {
    mysql = shared;
    db = shared;
  }
}
