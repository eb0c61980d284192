package io.rowguard.core;

/**
 * Who writes rollbacks and backouts ({@code apply.user}, {@code apply.password}), when not the
 * capture user: capture needs only to read, applying needs to write.
 *
 * @param user the user, or empty: the capture user writes too
 * @param password the password, resolved; empty when none or when it could not be resolved
 * @param unresolved why the password could not be resolved (an unset environment variable), or
 *     empty; commands that do not write work regardless
 */
public record ApplyLogin(String user, String password, String unresolved) {
  public static final ApplyLogin CAPTURE_USER = new ApplyLogin("", "", "");

  /** True when writes use their own user. */
  public boolean separate() {
    return !user.isEmpty();
  }

  /** Throws the reason the password could not be resolved, if any. */
  public void require() {
    if (!unresolved.isEmpty()) {
      throw new ConfigException(unresolved);
    }
  }

  @Override
  public String toString() {
    return "ApplyLogin[user=" + user + ", password=********]";
  }
}
