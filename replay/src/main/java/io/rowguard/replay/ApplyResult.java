package io.rowguard.replay;

import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import java.util.List;
import java.util.Map;

/**
 * What applying a plan did.
 *
 * @param planId the plan's id, as recorded in the database's log with the writes
 * @param txId the database transaction that made the writes (empty when nothing was written)
 * @param applied rows written, by action
 * @param conflicts rows that moved on since the journal's last version, and why
 * @param aborted true when nothing was written because of conflicts under {@link
 *     ConflictPolicy#ABORT}
 * @param warnings what could not be restored (a column dropped since)
 */
public record ApplyResult(
    String planId,
    String txId,
    Map<Action, Integer> applied,
    List<Conflict> conflicts,
    boolean aborted,
    List<String> warnings) {

  /** A row that did not look the way the journal says it looks now. */
  public record Conflict(TableId table, RowKey key, String reason) {}
}
