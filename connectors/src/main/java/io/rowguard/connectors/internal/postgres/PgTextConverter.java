package io.rowguard.connectors.internal.postgres;

import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import io.rowguard.connectors.internal.DebeziumSettings;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * Keeps PostgreSQL's own text form for the types whose Debezium representation cannot be written
 * back exactly: arrays (multi-dimensional ones arrive as nulls otherwise), intervals with mixed
 * signs, geometric types, bit strings. The driver's objects for these print PostgreSQL's text form,
 * both in the snapshot (JDBC) and in the stream (pgoutput), and PostgreSQL reads that text back
 * into the identical value.
 */
public final class PgTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {
  /** The logical name of values kept as PostgreSQL text. */
  public static final String LOGICAL_NAME = "io.rowguard.PgText";

  private String placeholder = DebeziumSettings.DEFAULT_PLACEHOLDER;

  @Override
  public void configure(Properties props) {
    placeholder = props.getProperty("placeholder", placeholder);
  }

  @Override
  public void converterFor(
      RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
    if (!keepsText(column.typeName())) {
      return;
    }
    SchemaBuilder schema = SchemaBuilder.string().name(LOGICAL_NAME).optional();
    registration.register(schema, this::text);
  }

  static boolean keepsText(String typeName) {
    String t = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
    return t.startsWith("_")
        || t.equals("interval")
        || t.equals("point")
        || t.equals("line")
        || t.equals("lseg")
        || t.equals("box")
        || t.equals("path")
        || t.equals("polygon")
        || t.equals("circle")
        || t.equals("bit")
        || t.equals("varbit");
  }

  private Object text(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof org.postgresql.util.PGInterval interval) {
      return interval.getValue();
    }
    if (value instanceof org.postgresql.util.PGobject object) {
      return object.getValue();
    }
    if (value instanceof String || value instanceof java.sql.Array) {
      return value.toString();
    }
    // Debezium's stand-in for an unchanged TOASTed value (a list or bytes of the placeholder):
    // keep the placeholder so that the journal fills the value from the row's previous version.
    return placeholder;
  }
}
