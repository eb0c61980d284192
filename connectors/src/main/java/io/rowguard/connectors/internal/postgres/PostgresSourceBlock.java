package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.internal.mirror.SourceBlock;
import io.rowguard.core.ChangeEvent;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * The {@code source} block of Debezium's PostgreSQL connector. What the journal does not keep is
 * left out: {@code sequence} (the previous commit's LSN), {@code xmin}, {@code origin}.
 */
public final class PostgresSourceBlock implements SourceBlock {
  private static final Schema SCHEMA =
      SourceBlock.common("io.debezium.connector.postgresql.Source")
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("xmin", Schema.OPTIONAL_INT64_SCHEMA)
          .field("origin", Schema.OPTIONAL_STRING_SCHEMA)
          .field("origin_lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .build();

  private final String name;
  private final String db;

  /**
   * @param name the connector's logical name ({@code topic.prefix})
   * @param db the database ({@code database.dbname})
   */
  public PostgresSourceBlock(String name, String db) {
    this.name = name;
    this.db = db;
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public Struct of(ChangeEvent c) {
    Struct s =
        SourceBlock.common(
                SCHEMA,
                io.debezium.connector.postgresql.Module.version(),
                "postgresql",
                name,
                db,
                c)
            .put("schema", c.table().schema())
            .put("table", c.table().name());
    Long xid = number(c.txId());
    if (xid != null) {
      s.put("txId", xid);
    }
    long lsn = lsn(c.position());
    if (lsn >= 0) {
      s.put("lsn", lsn);
    }
    return s;
  }

  /**
   * {@code <xid>:<lsn>}, the LSN the change's own, as Debezium's PostgreSQL connector writes it.
   */
  @Override
  public String transactionId(ChangeEvent c) {
    long lsn = lsn(c.position());
    return lsn < 0 ? c.txId() : c.txId() + ":" + lsn;
  }

  private static Long number(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** An LSN as PostgreSQL prints it ({@code 16/B374D848}) as a number; -1 if it is not one. */
  static long lsn(String position) {
    int slash = position.indexOf('/');
    if (slash < 0) {
      return -1;
    }
    try {
      return (Long.parseLong(position.substring(0, slash), 16) << 32)
          | Long.parseLong(position.substring(slash + 1), 16);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
