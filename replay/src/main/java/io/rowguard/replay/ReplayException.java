package io.rowguard.replay;

import io.rowguard.core.RowguardException;

/** Applying a plan failed; nothing of it was written (the database transaction rolled back). */
public final class ReplayException extends RowguardException {
  private static final long serialVersionUID = 1L;

  public ReplayException(String message, Throwable cause) {
    super(message, cause);
  }

  public ReplayException(String message) {
    super(message);
  }
}
