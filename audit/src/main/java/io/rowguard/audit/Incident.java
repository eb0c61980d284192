package io.rowguard.audit;

import io.rowguard.core.TransactionSummary;
import java.util.List;

/**
 * A transaction worth a look, and why.
 *
 * @param transaction what it did
 * @param score how unusual it is; higher is stranger (about 1 to 2 for everyday traffic)
 * @param reasons what makes it unusual, in words
 */
public record Incident(TransactionSummary transaction, double score, List<String> reasons) {
  public Incident {
    reasons = List.copyOf(reasons);
  }
}
