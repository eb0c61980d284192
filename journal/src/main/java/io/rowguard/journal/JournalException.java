package io.rowguard.journal;

import io.rowguard.core.RowguardException;
import java.nio.file.Path;

/** A journal operation failed; the message names the journal directory and the operation. */
public class JournalException extends RowguardException {
  private static final long serialVersionUID = 1L;

  public JournalException(Path dir, String operation, Throwable cause) {
    super("journal " + dir + ": " + operation + " failed: " + describe(cause), cause);
  }

  public JournalException(Path dir, String message) {
    super("journal " + dir + ": " + message);
  }

  /** The failure that stopped a journal, thrown again by later calls on it. */
  JournalException(JournalException earlier) {
    super(earlier.getMessage(), earlier);
  }

  private static String describe(Throwable cause) {
    String m = cause.getMessage();
    String text = m == null || m.isBlank() ? cause.getClass().getSimpleName() : m;
    if (cause instanceof org.rocksdb.RocksDBException r
        && r.getStatus() != null
        && r.getStatus().getCode() == org.rocksdb.Status.Code.Corruption) {
      return "a journal file is corrupt (" + text + "); restore a backup (`rowguard restore`)";
    }
    if (cause instanceof org.rocksdb.RocksDBException r
        && r.getStatus() != null
        && r.getStatus().getCode() == org.rocksdb.Status.Code.IOError
        && text.contains("No space left")) {
      return "the disk is full (" + text + ")";
    }
    return text;
  }
}
