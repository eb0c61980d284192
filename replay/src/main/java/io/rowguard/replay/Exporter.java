package io.rowguard.replay;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.Column;
import io.rowguard.core.InputException;
import io.rowguard.core.Row;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import io.rowguard.replay.internal.mysql.MySqlValues;
import io.rowguard.replay.internal.postgres.PgText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.time.Clock;
import java.util.Locale;

/**
 * A table's contents at an earlier moment, from the journal alone: the database is not touched. CSV
 * and JSONL values are in PostgreSQL's text form; the SQL form is in the source database's own SQL
 * (its quoting and literals), so it loads back exactly there.
 */
public final class Exporter {
  /** The output formats. */
  public enum Format {
    CSV,
    JSONL,
    SQL;

    public static Format parse(String text) {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    }
  }

  private final Journal journal;
  private final Clock clock;
  private final SqlDialect dialect;

  /** An exporter whose SQL form is PostgreSQL's. */
  public Exporter(Journal journal, Clock clock) {
    this(journal, clock, SqlDialect.POSTGRES);
  }

  /** An exporter whose SQL form is {@code dialect}'s. */
  public Exporter(Journal journal, Clock clock, SqlDialect dialect) {
    this.journal = journal;
    this.clock = clock;
    this.dialect = dialect;
  }

  /** Writes every row that existed at {@code micros}; returns how many. */
  public long export(TableId table, long micros, Format format, Writer out) {
    Planner.checkTime(journal, clock, micros, table);
    TableSchema schema =
        journal
            .latestSchema(table)
            .orElseThrow(() -> new InputException("table " + table + " is not captured"));
    long[] count = {0};
    try {
      JsonGenerator json =
          format == Format.JSONL ? new ObjectMapper().getFactory().createGenerator(out) : null;
      if (format == Format.SQL && dialect == SqlDialect.MYSQL) {
        // the statements' timestamps are UTC, as the journal has them
        out.write("SET time_zone = '+00:00';\n");
      }
      if (format == Format.CSV) {
        StringBuilder header = new StringBuilder();
        for (Column c : schema.columns()) {
          header.append(header.length() == 0 ? "" : ",").append(csv(c.name()));
        }
        out.write(header.append('\n').toString());
      }
      journal.forEachRow(
          table,
          seqs -> {
            Row row = rowAt(seqs, micros);
            if (row == null) {
              return;
            }
            if (row.hasMissing()) {
              throw new InputException(
                  "row "
                      + schema.keyOf(row)
                      + " of "
                      + table
                      + " has values the journal does not know at that moment ("
                      + String.join(", ", row.missingColumns())
                      + "): the log left them out while the table lacked REPLICA IDENTITY FULL;"
                      + " the export stops here rather than write a wrong row");
            }
            try {
              switch (format) {
                case CSV -> out.write(csvLine(schema, row));
                case SQL -> out.write(insert(table, row));
                case JSONL -> {
                  writeJson(json, row);
                  json.flush();
                  out.write('\n');
                }
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            count[0]++;
          });
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return count[0];
  }

  private Row rowAt(long[] seqs, long micros) {
    for (int i = seqs.length - 1; i >= 0; i--) {
      JournalEntry e = journal.entry(seqs[i]);
      if (e.event().commitMicros() <= micros) {
        return e.event().after();
      }
    }
    return null;
  }

  private static String csvLine(TableSchema schema, Row row) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < schema.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      String v = value(row, schema.column(i).name());
      if (v != null) {
        sb.append(csv(v));
      }
    }
    return sb.append('\n').toString();
  }

  /** PostgreSQL's CSV rules: NULL is empty, an empty string is "". */
  private static String csv(String v) {
    if (v.isEmpty()
        || v.indexOf(',') >= 0
        || v.indexOf('"') >= 0
        || v.indexOf('\n') >= 0
        || v.indexOf('\r') >= 0) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }

  private static String value(Row row, String column) {
    int i = row.schema().indexOf(column);
    return i < 0 ? null : PgText.of(row.get(i), row.schema().column(i).schema());
  }

  private String insert(TableId table, Row row) {
    boolean mysql = dialect == SqlDialect.MYSQL;
    StringBuilder names = new StringBuilder();
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < row.size(); i++) {
      String name = row.schema().column(i).name();
      ValueSchema schema = row.schema().column(i).schema();
      names.append(i == 0 ? "" : ", ").append(dialect.quote(name));
      values
          .append(i == 0 ? "" : ", ")
          .append(
              mysql
                  ? MySqlValues.literal(row.get(i), schema)
                  : PgText.literal(PgText.of(row.get(i), schema)));
    }
    String into = dialect.quote(table);
    return "INSERT INTO " + into + " (" + names + ") VALUES (" + values + ");\n";
  }

  private static void writeJson(JsonGenerator json, Row row) throws IOException {
    json.writeStartObject();
    for (int i = 0; i < row.size(); i++) {
      ValueSchema s = row.schema().column(i).schema();
      Object v = row.get(i);
      json.writeFieldName(row.schema().column(i).name());
      boolean plain = s.logicalName() == null;
      if (v == null) {
        json.writeNull();
      } else if (plain && v instanceof Boolean b) {
        json.writeBoolean(b);
      } else if (plain
          && (v instanceof Long
              || v instanceof Integer
              || v instanceof Short
              || v instanceof Byte)) {
        json.writeNumber(((Number) v).longValue());
      } else {
        json.writeString(PgText.of(v, s));
      }
    }
    json.writeEndObject();
  }
}
