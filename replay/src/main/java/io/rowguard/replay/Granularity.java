package io.rowguard.replay;

import java.util.Locale;

/** What a backout puts back. */
public enum Granularity {
  /**
   * Each value the backed-out transactions changed, unless a later transaction changed it too (a
   * conflict); values only later transactions changed are kept.
   */
  CELL,
  /** Each row touched, whole, to its state before the first backed-out change of it. */
  ROW;

  public static Granularity parse(String text) {
    return valueOf(text.trim().toUpperCase(Locale.ROOT));
  }
}
