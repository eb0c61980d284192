package io.rowguard.connectors.internal.mirror;

import io.rowguard.core.ChangeEvent;
import java.time.Instant;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;

/**
 * What a mirrored change says of where it came from, as the Debezium connector of its database says
 * it: the envelope's {@code source} block and the transaction ids. One implementation per database
 * ({@code internal.postgres}, {@code internal.mysql}).
 */
public interface SourceBlock {

  /** The {@code source} schema ({@code io.debezium.connector.<name>.Source}). */
  Schema schema();

  /** The {@code source} block of a change. */
  Struct of(ChangeEvent change);

  /** The transaction's id as Debezium's transaction metadata gives it for this change. */
  String transactionId(ChangeEvent change);

  /** The fields every Debezium connector's {@code source} block starts with, in order. */
  static SchemaBuilder common(String schemaName) {
    return SchemaBuilder.struct()
        .name(schemaName)
        .version(1)
        .field("version", Schema.STRING_SCHEMA)
        .field("connector", Schema.STRING_SCHEMA)
        .field("name", Schema.STRING_SCHEMA)
        .field("ts_ms", Schema.INT64_SCHEMA)
        .field(
            "snapshot",
            SchemaBuilder.string()
                .name("io.debezium.data.Enum")
                .version(1)
                .parameter(
                    "allowed",
                    "true,first,first_in_data_collection,last_in_data_collection,last,false,"
                        + "incremental")
                .defaultValue("false")
                .optional()
                .build())
        .field("db", Schema.STRING_SCHEMA)
        .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
        .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
        .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA);
  }

  /**
   * Fills the common fields: the commit time in ms, µs and ns; {@code snapshot} only for a snapshot
   * read (streamed changes leave it to the schema's default, as Debezium does).
   */
  static Struct common(
      Schema schema, String version, String connector, String name, String db, ChangeEvent c) {
    long micros = c.commitMicros();
    Struct s =
        new Struct(schema)
            .put("version", version)
            .put("connector", connector)
            .put("name", name)
            .put("ts_ms", Math.floorDiv(micros, 1000L))
            .put("db", db)
            .put("ts_us", micros)
            .put("ts_ns", micros * 1000L);
    if (c.op() == io.rowguard.core.Op.READ) {
      s.put("snapshot", "true");
    }
    return s;
  }

  /** {@code micros} as an Instant. */
  static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
