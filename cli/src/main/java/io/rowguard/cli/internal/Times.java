package io.rowguard.cli.internal;

import io.rowguard.core.InputException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Command-line times: ISO-8601 with an offset or Z. */
public final class Times {
  private Times() {}

  /** Microseconds since the epoch. */
  public static long parseMicros(String text, String option) {
    try {
      Instant i = OffsetDateTime.parse(text.trim()).toInstant();
      return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new InputException(
          "bad time for "
              + option
              + ": '"
              + text
              + "'; use ISO-8601 with an offset or Z, e.g."
              + " 2026-11-23T10:15:30Z or 2026-11-23T11:15:30.25+01:00");
    }
  }
}
