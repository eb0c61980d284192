package io.rowguard.journal;

import java.util.OptionalLong;

/**
 * One backup of a journal.
 *
 * @param id the backup's number in its directory
 * @param createdMillis when it was taken
 * @param sizeBytes the size of its files (files shared with earlier backups count in each)
 * @param files how many files it has
 * @param lastSeq the journal's newest committed record when it was taken (at least)
 * @param changes the changes the journal held then (at least)
 * @param lastCommitMicros the newest commit then, if any
 * @param headHash the chain hash at {@code lastSeq}, in hex
 */
public record BackupInfo(
    int id,
    long createdMillis,
    long sizeBytes,
    int files,
    long lastSeq,
    long changes,
    OptionalLong lastCommitMicros,
    String headHash) {}
