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

  private static String describe(Throwable cause) {
    String m = cause.getMessage();
    return m == null || m.isBlank() ? cause.getClass().getSimpleName() : m;
  }
}
