package io.rowguard.journal;

import java.util.OptionalLong;

/**
 * What the journal holds.
 *
 * @param entries committed entries
 * @param firstCommitMicros commit time of the oldest entry, if any
 * @param lastCommitMicros commit time of the newest entry, if any
 * @param lastPosition the source position of the newest entry, or empty
 * @param lastTxId the transaction of the newest entry, or empty
 * @param tables tables with at least one entry
 * @param diskBytes the journal's size on disk
 */
public record JournalStatus(
    long entries,
    OptionalLong firstCommitMicros,
    OptionalLong lastCommitMicros,
    String lastPosition,
    String lastTxId,
    int tables,
    long diskBytes) {}
