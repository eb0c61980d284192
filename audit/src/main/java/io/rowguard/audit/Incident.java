package io.rowguard.audit;

import io.rowguard.core.TransactionSummary;
import io.rowguard.core.Undo;
import java.util.List;

/**
 * A transaction worth a look, and why.
 *
 * @param transaction what it did
 * @param score how unusual it is; higher is stranger (about 1 to 2 for everyday traffic)
 * @param reasons what makes it unusual, in words
 * @param undoneBy the rowguard rollback or backout that later undid it, or null
 */
public record Incident(
    TransactionSummary transaction, double score, List<String> reasons, Undo undoneBy) {
  public Incident {
    reasons = List.copyOf(reasons);
  }

  public Incident(TransactionSummary transaction, double score, List<String> reasons) {
    this(transaction, score, reasons, null);
  }

  /** Worth undoing: neither a rowguard rollback itself nor already undone by one. */
  public boolean undoable() {
    return undoneBy == null && !transaction.isRollback();
  }
}
