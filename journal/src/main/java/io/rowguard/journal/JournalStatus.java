package io.rowguard.journal;

import java.util.OptionalLong;

/**
 * What the journal holds.
 *
 * @param entries committed changes
 * @param firstCommitMicros commit time of the oldest change, if any
 * @param lastCommitMicros commit time of the newest change, if any
 * @param lastPosition the source position of the newest change, or empty
 * @param lastTxId the transaction of the newest change, or empty
 * @param tables tables with at least one entry
 * @param diskBytes the journal's size on disk
 * @param lastSeq the sequence number of the newest committed record (changes, notes and the
 *     journal's own records share one sequence)
 * @param retentionCut entries committed before this were pruned (each row's last version before it
 *     is kept), if retention ever pruned
 * @param gaps the number of gaps: ranges of source changes the journal never received
 */
public record JournalStatus(
    long entries,
    OptionalLong firstCommitMicros,
    OptionalLong lastCommitMicros,
    String lastPosition,
    String lastTxId,
    int tables,
    long diskBytes,
    long lastSeq,
    OptionalLong retentionCut,
    int gaps) {}
