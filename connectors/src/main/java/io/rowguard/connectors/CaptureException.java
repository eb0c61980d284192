package io.rowguard.connectors;

import io.rowguard.core.RowguardException;

/** Capture stopped because the engine failed; the message says why, in Debezium's words. */
public final class CaptureException extends RowguardException {
  private static final long serialVersionUID = 1L;

  public CaptureException(String message, Throwable cause) {
    super(message, cause);
  }
}
