package io.rowguard.replay;

import io.rowguard.connectors.MariaDbExtension;
import io.rowguard.connectors.MariaDbFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The type matrix, conflicts and foreign-key order on the JVM's shared private MariaDB. */
@ExtendWith(MariaDbExtension.class)
class MariaDbTypeMatrixIT extends BinlogTypeMatrix {
  @BeforeAll
  static void mariaDb(MariaDbFixture shared) {
    db = shared;
  }
}
