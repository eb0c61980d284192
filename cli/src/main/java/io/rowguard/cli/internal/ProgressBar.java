package io.rowguard.cli.internal;

import io.rowguard.journal.Journal;
import io.rowguard.replay.PlanApplier;
import java.io.PrintStream;

/** Progress of long work on stderr, at most twice a second, never on stdout. */
public final class ProgressBar implements PlanApplier.Progress, Journal.Progress {
  private final PrintStream err;
  private final long minimum;
  private long lastNanos;

  /** A progress line was started and not ended: a message printed now would run on after it. */
  private static volatile boolean lineOpen;

  /** Ends a progress line left open (work that failed midway), so a message starts on its own. */
  public static void endOpenLine(java.io.PrintWriter out) {
    if (lineOpen) {
      lineOpen = false;
      out.println();
      out.flush();
    }
  }

  /** Shows nothing for work of fewer than {@code minimum} items. */
  public ProgressBar(PrintStream err, long minimum) {
    this.err = err;
    this.minimum = minimum;
  }

  @Override
  public void update(String phase, long done, long total) {
    if (total < 0) { // no total yet: a count
      if (done >= minimum && tick()) {
        err.printf("\r%-18s %,d", phase, done);
        err.flush();
        lineOpen = true;
      }
      return;
    }
    if (total < minimum) {
      return;
    }
    long now = System.nanoTime();
    if (done < total && now - lastNanos < 500_000_000L) {
      return;
    }
    lastNanos = now;
    int width = 30;
    int filled = (int) (width * done / Math.max(1, total));
    err.printf(
        "\r%-18s [%s%s] %,d/%,d%s",
        phase,
        "#".repeat(filled),
        " ".repeat(width - filled),
        done,
        total,
        done >= total ? "\n" : "");
    err.flush();
    lineOpen = done < total;
  }

  /** True at most twice a second. */
  private boolean tick() {
    long now = System.nanoTime();
    if (now - lastNanos < 500_000_000L) {
      return false;
    }
    lastNanos = now;
    return true;
  }
}
