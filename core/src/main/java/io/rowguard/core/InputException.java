package io.rowguard.core;

/**
 * Bad input from the user: a config key, a flag, a table or key that does not exist. The message
 * says what was wrong and how to fix it; the CLI prints it as one line and exits with code 2.
 */
public class InputException extends RowguardException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
