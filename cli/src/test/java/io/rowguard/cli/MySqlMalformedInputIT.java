package io.rowguard.cli;

import io.rowguard.connectors.MySqlExtension;
import io.rowguard.connectors.MySqlFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** The malformed-input fuzz on the JVM's shared MySQL. */
@ExtendWith(MySqlExtension.class)
class MySqlMalformedInputIT extends BinlogMalformedInput {
  @BeforeAll
  void mySql(MySqlFixture fixture) throws Exception {
    aJournalAndADatabase(fixture);
  }

  @Override
  String[] badGtids() {
    return new String[] {
      "3e11fa47-71ca-11e1-9e33-c80aa9429562:99999999",
      "3e11fa47-71ca-11e1-9e33:5",
      "uuid:1",
      "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
      ":7",
      "0-1-5",
      "9:9"
    };
  }

  @Override
  String otherConnector() {
    return "mariadb";
  }
}
