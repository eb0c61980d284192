package io.rowguard.audit;

import io.rowguard.core.TableId;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Which changes {@link AuditLog} lists, newest first.
 *
 * @param table only this table's changes
 * @param actor only changes attributed to this actor
 * @param unattributed only changes nobody is attributed for
 * @param txId only this transaction's changes
 * @param sinceMicros only changes committed at or after this
 * @param untilMicros only changes committed at or before this
 * @param beforeSeq start below this sequence number (the next page of an earlier answer)
 * @param limit at most this many changes; 0 for all
 */
public record AuditQuery(
    Optional<TableId> table,
    Optional<String> actor,
    boolean unattributed,
    Optional<String> txId,
    OptionalLong sinceMicros,
    OptionalLong untilMicros,
    long beforeSeq,
    int limit) {

  public static AuditQuery all() {
    return new AuditQuery(
        Optional.empty(),
        Optional.empty(),
        false,
        Optional.empty(),
        OptionalLong.empty(),
        OptionalLong.empty(),
        Long.MAX_VALUE,
        0);
  }

  public AuditQuery withLimit(int n) {
    return new AuditQuery(table, actor, unattributed, txId, sinceMicros, untilMicros, beforeSeq, n);
  }

  public AuditQuery before(long seq) {
    return new AuditQuery(table, actor, unattributed, txId, sinceMicros, untilMicros, seq, limit);
  }

  public AuditQuery table(TableId t) {
    return new AuditQuery(
        Optional.of(t), actor, unattributed, txId, sinceMicros, untilMicros, beforeSeq, limit);
  }

  public AuditQuery actor(String a) {
    return new AuditQuery(
        table, Optional.of(a), unattributed, txId, sinceMicros, untilMicros, beforeSeq, limit);
  }

  public AuditQuery unattributedOnly() {
    return new AuditQuery(table, actor, true, txId, sinceMicros, untilMicros, beforeSeq, limit);
  }

  public AuditQuery tx(String id) {
    return new AuditQuery(
        table, actor, unattributed, Optional.of(id), sinceMicros, untilMicros, beforeSeq, limit);
  }

  public AuditQuery since(long micros) {
    return new AuditQuery(
        table, actor, unattributed, txId, OptionalLong.of(micros), untilMicros, beforeSeq, limit);
  }

  public AuditQuery until(long micros) {
    return new AuditQuery(
        table, actor, unattributed, txId, sinceMicros, OptionalLong.of(micros), beforeSeq, limit);
  }
}
