package io.rowguard.core;

import java.util.Objects;

/**
 * One committed row change, as the journal keeps it.
 *
 * @param schema the table's columns when the change was made
 * @param op what the change did
 * @param before the full row before the change; null for inserts and snapshot reads
 * @param after the full row after the change; null for deletes
 * @param commitMicros the transaction's commit time, microseconds since the epoch (UTC)
 * @param txId the database's transaction id as the user sees it ({@code txid} in PostgreSQL)
 * @param position the change's position in the log (an LSN for PostgreSQL), for display
 * @param orderInTx the change's position within its transaction, from 0
 */
public record ChangeEvent(
    TableSchema schema,
    Op op,
    Row before,
    Row after,
    long commitMicros,
    String txId,
    String position,
    int orderInTx) {

  public ChangeEvent {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(position, "position");
    switch (op) {
      case READ, INSERT -> require(before == null && after != null, op);
      case UPDATE -> require(before != null && after != null, op);
      case DELETE -> require(before != null && after == null, op);
    }
  }

  private static void require(boolean ok, Op op) {
    if (!ok) {
      throw new IllegalArgumentException("inconsistent images for " + op);
    }
  }

  public TableId table() {
    return schema.table();
  }

  /** The row's key: from the after image, or the before image of a delete. */
  public RowKey key() {
    return schema.keyOf(after != null ? after : before);
  }
}
