package io.rowguard.cli.internal;

import java.util.Locale;

/** Byte counts for people: 512 B, 41.3 kB, 2.0 GB. */
public final class Bytes {
  private Bytes() {}

  public static String format(long n) {
    if (n < 0) {
      return "unknown";
    }
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
