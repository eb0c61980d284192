package io.rowguard.cli.internal;

import io.rowguard.core.Durations;
import io.rowguard.core.InputException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * Command-line times: ISO-8601 with an offset or Z, or relative to now: {@code 15m}, {@code 2h},
 * {@code 3d} ago.
 */
public final class Times {
  private static final Pattern RELATIVE = Pattern.compile("(?i)^\\s*\\d+\\s*(ms|s|m|h|d|w)\\s*$");

  private Times() {}

  /** Microseconds since the epoch. */
  public static long parseMicros(String text, String option) {
    return parseMicros(text, option, Clock.systemUTC());
  }

  /** Microseconds since the epoch; a relative time counts back from {@code clock}'s now. */
  public static long parseMicros(String text, String option, Clock clock) {
    if (text != null && RELATIVE.matcher(text).matches()) {
      Duration ago = Durations.parse(text, option);
      return micros(clock.instant().minus(ago));
    }
    try {
      return micros(OffsetDateTime.parse(text.trim()).toInstant());
    } catch (DateTimeParseException | ArithmeticException | NullPointerException e) {
      throw new InputException(
          "bad time for "
              + option
              + ": '"
              + text
              + "'; use ISO-8601 with an offset or Z, e.g. 2026-11-23T10:15:30Z or"
              + " 2026-11-23T11:15:30.25+01:00, or a time ago: 15m, 2h, 3d");
    }
  }

  private static long micros(Instant i) {
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }
}
