package io.rowguard.core;

/** A config file that cannot be used: names the file, the key, the value and what is allowed. */
public final class ConfigException extends InputException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
