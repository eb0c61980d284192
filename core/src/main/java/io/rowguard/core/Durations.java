package io.rowguard.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them: {@code 30d}, {@code 12h}, {@code 90m}, {@code 2w}, ISO-8601. */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d|w)");

  private Durations() {}

  /**
   * Parses a positive duration; {@code what} names it in the message of the {@link InputException}
   * thrown for anything else.
   */
  public static Duration parse(String text, String what) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    Duration d = null;
    Matcher m = SHORT.matcher(t);
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        d =
            switch (m.group(2)) {
              case "ms" -> Duration.ofMillis(n);
              case "s" -> Duration.ofSeconds(n);
              case "m" -> Duration.ofMinutes(n);
              case "h" -> Duration.ofHours(n);
              case "d" -> Duration.ofDays(n);
              default -> Duration.ofDays(Math.multiplyExact(n, 7));
            };
      } else if (t.startsWith("p")) {
        d = Duration.parse(t.toUpperCase(Locale.ROOT));
      }
    } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
      d = null;
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new InputException(
          what
              + "="
              + text
              + " is not a positive duration (e.g. 30d, 12h, 90m, 45s, 2w or ISO-8601 P30D)");
    }
    return d;
  }

  /** "30d", "12h", "90m", "45s": the largest whole unit up to days. */
  public static String format(Duration d) {
    long s = d.getSeconds();
    if (d.getNano() != 0 || s == 0) {
      return d.toMillis() + "ms";
    }
    if (s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s % 3_600 == 0) {
      return s / 3_600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }
}
