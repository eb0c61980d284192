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

  /** Refuses the keys nobody knows (none: nothing), saying which are known. */
  static void refuseUnknown(String where, java.util.Collection<String> unknown, String known) {
    if (!unknown.isEmpty()) {
      throw new ConfigException(
          where + "unknown key " + String.join(", ", unknown) + " (" + known + ")");
    }
  }

  /** A {@code true} or {@code false} key; {@code dflt} when it is not set. */
  static boolean flag(String where, java.util.Map<String, String> raw, String key, boolean dflt) {
    String v = raw.get(key);
    if (v == null || v.isBlank()) {
      return dflt;
    }
    return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException(where + key + "=" + v + " must be true or false");
    };
  }
}
