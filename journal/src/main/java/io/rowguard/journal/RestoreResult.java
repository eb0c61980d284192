package io.rowguard.journal;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What a restore did.
 *
 * @param backupId the backup restored
 * @param journalDir where the journal now is
 * @param previous where the journal that was there before was moved, if there was one
 * @param verified the restored journal's verification
 */
public record RestoreResult(
    int backupId, Path journalDir, Optional<Path> previous, VerifyReport verified) {}
