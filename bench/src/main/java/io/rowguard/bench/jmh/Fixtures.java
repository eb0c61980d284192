package io.rowguard.bench.jmh;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The rows the benchmarks journal: an orders table of six typical columns. */
final class Fixtures {
  static final TableSchema ORDERS =
      new TableSchema(
          TableId.of("public", "orders"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT64)),
              new Column("customer_id", ValueSchema.of(ValueType.INT32)),
              new Column("status", ValueSchema.of(ValueType.STRING)),
              new Column("amount", ValueSchema.of(ValueType.STRING)),
              new Column("note", ValueSchema.of(ValueType.STRING)),
              new Column("updated_at", ValueSchema.of(ValueType.INT64))),
          List.of("id"));

  private Fixtures() {}

  static Row row(long id, String status) {
    return Row.of(
        ORDERS,
        id,
        (int) (id % 1000),
        status,
        Long.toString(id % 100_000) + ".25",
        "order " + id + " for customer " + (id % 1000),
        1_800_000_000_000_000L + id);
  }

  static ChangeEvent update(long id, long tx, int order) {
    return new ChangeEvent(
        ORDERS,
        Op.UPDATE,
        row(id, "new"),
        row(id, "paid"),
        1_800_000_000_000_000L + tx,
        Long.toString(tx),
        "0/" + Long.toHexString(tx),
        order);
  }

  static Map<ByteBuffer, ByteBuffer> offsets(long n) {
    return Map.of(
        ByteBuffer.wrap("partition".getBytes(StandardCharsets.UTF_8)),
        ByteBuffer.wrap(Long.toString(n).getBytes(StandardCharsets.UTF_8)));
  }

  /** Journals {@code events} updates over {@code rows} rows, in transactions of 1,000. */
  static void fill(Journal journal, long events, long rows) {
    long tx = 0;
    for (long done = 0; done < events; ) {
      try (Journal.Batch b = journal.newBatch()) {
        for (int i = 0; i < 1000 && done < events; i++, done++) {
          b.append(update(done % rows + 1, tx, i));
        }
        b.markCommitted();
        b.putOffsets(offsets(tx++));
        b.commit();
      }
    }
  }
}
