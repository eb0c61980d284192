package io.rowguard.core;

import java.util.Objects;

/**
 * A rowguard rollback or backout that undid a transaction, as its own transaction's message says.
 *
 * @param txId the transaction that applied the undo
 * @param commitMicros when it committed, or {@link Long#MIN_VALUE} when the journal holds none of
 *     its row changes
 * @param operator who applied it, or null
 * @param plan the id of the plan it applied
 */
public record Undo(String txId, long commitMicros, String operator, String plan) {
  public Undo {
    Objects.requireNonNull(txId, "txId");
  }

  /** "backed out by 912 at 2026-12-04T10:15:00Z by alice". */
  public String describe() {
    return "backed out by "
        + txId
        + (commitMicros == Long.MIN_VALUE ? "" : " at " + ValueFormat.instant(commitMicros))
        + " by "
        + (operator == null ? "an unnamed operator" : operator);
  }
}
