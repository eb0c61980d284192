package io.rowguard.connectors.internal.kafka;

import io.rowguard.connectors.internal.Source;
import io.rowguard.core.TableId;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Refuses topics whose connector sends columns in a lossy form (a double for a numeric, an interval
 * in microseconds, milliseconds for a microsecond timestamp, text for bytes): rowguard's own engine
 * chooses exact forms, someone else's Debezium may not, and a rollback would then write back other
 * values than the rows had. Each distinct row schema is checked once against the database's
 * catalog.
 */
final class Fidelity {
  private final Source source;
  private final Map<Schema, Boolean> checked = new IdentityHashMap<>();

  Fidelity(Source source) {
    this.source = source;
  }

  void check(SourceRecord record) {
    if (record == null
        || !(record.value() instanceof Struct value)
        || value.schema().field("op") == null
        || value.schema().field("after") == null) {
      return;
    }
    Struct row = value.getStruct("after") != null ? value.getStruct("after") : null;
    if (row == null && value.schema().field("before") != null) {
      row = value.getStruct("before");
    }
    if (row == null || checked.containsKey(row.schema())) {
      return;
    }
    Struct s = value.getStruct("source");
    Object schema =
        s.schema().field("schema") != null && s.get("schema") != null
            ? s.get("schema")
            : s.get("db");
    TableId table = TableId.of(String.valueOf(schema), String.valueOf(s.get("table")));
    List<String> lossy = source.lossyColumns(table, row.schema());
    if (!lossy.isEmpty()) {
      throw new IllegalStateException(
          "the connector writing "
              + record.topic()
              + " sends columns in a form that loses part of their values, so a rollback would"
              + " write back something else: "
              + String.join("; ", lossy)
              + " (change the connector, then build the journal from records written since, in a"
              + " new journal.dir)");
    }
    checked.put(row.schema(), Boolean.TRUE);
  }
}
