package io.rowguard.journal;

/**
 * What a prune did.
 *
 * @param cutMicros changes committed before this were candidates
 * @param lastPrunedSeq the last sequence number of the pruned range (0: nothing to prune)
 * @param removedChanges changes removed
 * @param removedNotes notes removed (of transactions none of whose changes were kept)
 * @param keptBases each row's last version before the cut, kept so that rollbacks stay exact
 * @param retentionSeq the retention record that summarizes the pruned range in the chain, or 0
 */
public record PruneResult(
    long cutMicros,
    long lastPrunedSeq,
    long removedChanges,
    long removedNotes,
    long keptBases,
    long retentionSeq) {

  public boolean prunedAnything() {
    return removedChanges > 0 || removedNotes > 0;
  }
}
