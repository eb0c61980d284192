package io.rowguard.replay;

import io.rowguard.core.TableId;

/**
 * A transaction whose work a rollback would undo: it changed rows of the plan after the target
 * moment.
 *
 * @param txId the transaction
 * @param commitMicros when it committed
 * @param actor who it is attributed to, or empty
 * @param table the plan's table it changed
 * @param changes how many changes of the plan's rows it made
 */
public record UndoneTransaction(
    String txId, long commitMicros, String actor, TableId table, int changes) {

  public UndoneTransaction {
    actor = actor == null ? "" : actor;
  }
}
