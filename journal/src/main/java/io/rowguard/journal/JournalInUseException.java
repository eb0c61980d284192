package io.rowguard.journal;

import java.nio.file.Path;

/** The journal is open for writing in another process: a capture is running on it. */
public final class JournalInUseException extends JournalException {
  private static final long serialVersionUID = 1L;

  public JournalInUseException(Path dir) {
    super(dir, "is in use by another process (is a rowguard capture already running on it?)");
  }
}
