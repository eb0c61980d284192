package io.rowguard.replay;

import java.util.Locale;

/** What to do with a row that moved on since the journal's last version of it. */
public enum ConflictPolicy {
  /** Write nothing; report the conflicts (exit code 3). */
  ABORT,
  /** Leave conflicting rows alone, apply the rest, report them. */
  SKIP,
  /** Write the target state anyway, report what was overwritten. */
  OVERWRITE;

  public static ConflictPolicy parse(String text) {
    return valueOf(text.trim().toUpperCase(Locale.ROOT));
  }
}
