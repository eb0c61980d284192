package io.rowguard.audit;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A synthetic shop journal: orders and customers, written transaction by transaction. */
final class Shop {
  static final TableId ORDERS = TableId.of("public", "orders");
  static final TableId CUSTOMERS = TableId.of("public", "customers");
  static final TableSchema ORDER_SCHEMA = schema(ORDERS);
  static final TableSchema CUSTOMER_SCHEMA = schema(CUSTOMERS);
  static final long SECOND = 1_000_000L;
  static final long START = 1_800_000_000L * SECOND;

  private final Journal journal;
  private final Map<String, String> state = new HashMap<>();
  private int tx = 1000;
  private long offset;

  Shop(Journal journal) {
    this.journal = journal;
  }

  static TableSchema schema(TableId t) {
    return new TableSchema(
        t,
        List.of(
            new Column("id", ValueSchema.of(ValueType.INT32)),
            new Column("status", ValueSchema.of(ValueType.STRING)),
            new Column("updated_by", ValueSchema.of(ValueType.STRING))),
        List.of("id"));
  }

  /** One write of a transaction: table, id, new status (null deletes), column actor. */
  record Write(TableSchema schema, int id, String status, String columnActor) {}

  static Write order(int id, String status) {
    return new Write(ORDER_SCHEMA, id, status, null);
  }

  static Write customer(int id, String status) {
    return new Write(CUSTOMER_SCHEMA, id, status, null);
  }

  /** Commits one transaction at {@code second}; returns its id. */
  String commit(long second, TransactionTag tag, Write... writes) {
    String id = Integer.toString(tx++);
    try (Journal.Batch b = journal.newBatch()) {
      if (tag != null) {
        b.tag(id, tag);
      }
      int order = 0;
      for (Write w : writes) {
        String k = w.schema().table() + "#" + w.id();
        String old = state.get(k);
        Row before = old == null ? null : Row.of(w.schema(), w.id(), old, null);
        Row after =
            w.status() == null ? null : Row.of(w.schema(), w.id(), w.status(), w.columnActor());
        Op op = before == null ? Op.INSERT : after == null ? Op.DELETE : Op.UPDATE;
        b.append(
            new ChangeEvent(
                w.schema(),
                op,
                before,
                after,
                START + second * SECOND,
                id,
                "0/" + offset,
                order++,
                w.columnActor()));
        if (after == null) {
          state.remove(k);
        } else {
          state.put(k, w.status());
        }
      }
      b.markCommitted();
      b.putOffsets(
          Map.of(
              ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)),
              ByteBuffer.wrap(Long.toString(offset++).getBytes(StandardCharsets.UTF_8))));
      b.commit();
    }
    return id;
  }

  static TransactionTag by(String actor) {
    return new TransactionTag(actor, null, null, null, "{\"actor\":\"" + actor + "\"}");
  }
}
