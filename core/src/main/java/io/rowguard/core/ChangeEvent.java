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
 * @param actor who made the change, as the change itself says (the table's configured actor
 *     column); null when it does not say. A transaction's rowguard message, kept by the journal
 *     apart from its changes, takes precedence over this.
 */
public record ChangeEvent(
    TableSchema schema,
    Op op,
    Row before,
    Row after,
    long commitMicros,
    String txId,
    String position,
    int orderInTx,
    String actor) {

  public ChangeEvent {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(txId, "txId");
    Objects.requireNonNull(position, "position");
    switch (op) {
      case READ, INSERT -> require(before == null && after != null, op);
      case UPDATE -> require(before != null && after != null, op);
      case DELETE, TRUNCATE, ABSENT -> require(before != null && after == null, op);
    }
    if (actor != null && actor.isBlank()) {
      actor = null;
    }
  }

  /** A change that does not name its actor. */
  public ChangeEvent(
      TableSchema schema,
      Op op,
      Row before,
      Row after,
      long commitMicros,
      String txId,
      String position,
      int orderInTx) {
    this(schema, op, before, after, commitMicros, txId, position, orderInTx, null);
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

  /** The columns the change changed: for an update those that differ, else every column. */
  public java.util.List<String> changedColumns() {
    java.util.List<String> out = new java.util.ArrayList<>();
    Row any = after != null ? after : before;
    for (int i = 0; i < any.size(); i++) {
      if (before == null || after == null || !before.sameValue(after, i)) {
        out.add(any.schema().column(i).name());
      }
    }
    return out;
  }

  /** True when an image holds a value the journal does not know ({@link Row#MISSING}). */
  public boolean hasMissing() {
    return (before != null && before.hasMissing()) || (after != null && after.hasMissing());
  }

  /** The same change with other images (values the log left out, filled in). */
  public ChangeEvent withImages(Row newBefore, Row newAfter) {
    return new ChangeEvent(
        schema, op, newBefore, newAfter, commitMicros, txId, position, orderInTx, actor);
  }
}
