package io.rowguard.core;

/** The root of rowguard's exceptions; every module's boundary throws a subtype of this. */
public class RowguardException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RowguardException(String message) {
    super(message);
  }

  public RowguardException(String message, Throwable cause) {
    super(message, cause);
  }
}
