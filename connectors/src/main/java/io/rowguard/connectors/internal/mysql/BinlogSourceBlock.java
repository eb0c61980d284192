package io.rowguard.connectors.internal.mysql;

import io.rowguard.connectors.internal.mirror.SourceBlock;
import io.rowguard.core.ChangeEvent;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * The {@code source} block of Debezium's MySQL and MariaDB connectors. What the journal does not
 * keep is left out or zero: {@code server_id} (0), {@code thread}, {@code query}.
 */
public final class BinlogSourceBlock implements SourceBlock {
  private final Schema schema;
  private final String connector;
  private final String version;
  private final String name;

  /**
   * @param mariadb MariaDB's connector, else MySQL's
   * @param name the connector's logical name ({@code topic.prefix})
   */
  public BinlogSourceBlock(boolean mariadb, String name) {
    this.connector = mariadb ? "mariadb" : "mysql";
    this.version =
        mariadb
            ? io.debezium.connector.mariadb.Module.version()
            : io.debezium.connector.mysql.Module.version();
    this.name = name;
    this.schema =
        SourceBlock.common("io.debezium.connector." + connector + ".Source")
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("server_id", Schema.INT64_SCHEMA)
            .field("gtid", Schema.OPTIONAL_STRING_SCHEMA)
            .field("file", Schema.STRING_SCHEMA)
            .field("pos", Schema.INT64_SCHEMA)
            .field("row", Schema.INT32_SCHEMA)
            .field("thread", Schema.OPTIONAL_INT64_SCHEMA)
            .field("query", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
  }

  @Override
  public Schema schema() {
    return schema;
  }

  @Override
  public Struct of(ChangeEvent c) {
    Struct s =
        SourceBlock.common(schema, version, connector, name, c.table().schema(), c)
            .put("table", c.table().name())
            .put("server_id", 0L);
    if (!c.txId().startsWith("file=")) {
      s.put("gtid", c.txId());
    }
    // file:pos, or file:pos/row for a rows event's later rows
    String p = c.position();
    int colon = p.lastIndexOf(':');
    int slash = p.indexOf('/', Math.max(colon, 0));
    String file = colon < 0 ? p : p.substring(0, colon);
    long pos = 0;
    int row = 0;
    try {
      if (colon >= 0) {
        pos = Long.parseLong(slash < 0 ? p.substring(colon + 1) : p.substring(colon + 1, slash));
      }
      if (slash >= 0) {
        row = Integer.parseInt(p.substring(slash + 1));
      }
    } catch (NumberFormatException e) {
      pos = 0;
    }
    return s.put("file", file).put("pos", pos).put("row", row);
  }

  /** The GTID, or {@code file=…,pos=…} without GTIDs: the journal's transaction id already. */
  @Override
  public String transactionId(ChangeEvent c) {
    return c.txId();
  }
}
