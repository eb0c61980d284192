package io.rowguard.cli;

import io.rowguard.connectors.MariaDbExtension;
import io.rowguard.connectors.MariaDbFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The malformed-input fuzz on the JVM's shared private MariaDB. */
@ExtendWith(MariaDbExtension.class)
class MariaDbMalformedInputIT extends BinlogMalformedInput {
  @BeforeAll
  void mariaDb(MariaDbFixture fixture) throws Exception {
    aJournalAndADatabase(fixture);
  }

  @Override
  String[] badGtids() {
    return new String[] {"0-1-x", "1-2", "0-1-99999999", "gtid", "0--1-5", "0-1-2,0-1-3", "9:9"};
  }

  @Override
  String otherConnector() {
    return "mysql";
  }
}
