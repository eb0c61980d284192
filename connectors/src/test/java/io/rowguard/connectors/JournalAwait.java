package io.rowguard.connectors;

import io.rowguard.journal.Journal;
import java.time.Duration;

/** Waits for a capture to journal what a test wrote. */
public final class JournalAwait {
  private JournalAwait() {}

  /** Waits until the journal holds at least {@code n} committed changes, for up to a minute. */
  public static void entries(Journal journal, long n) throws InterruptedException {
    entries(journal, n, Duration.ofSeconds(60));
  }

  /** Waits until the journal holds at least {@code n} committed changes, for up to {@code wait}. */
  public static void entries(Journal journal, long n, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (journal.changeCount() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "journal has " + journal.changeCount() + " changes, expected " + n);
      }
      Thread.sleep(20);
    }
  }

  /**
   * Waits until {@code journal} holds every change its source had committed when called, for up to
   * a minute: the freshness check's own mark (a logical message on PostgreSQL, the GTID position on
   * MariaDB), so the same wait serves every database.
   */
  public static Freshness caughtUp(io.rowguard.core.RowguardConfig config, Journal journal) {
    Freshness f = Freshness.await(config, journal, Duration.ofSeconds(60), line -> {});
    if (!f.fresh()) {
      throw new AssertionError("capture did not catch up with the source in 60 s: " + f);
    }
    return f;
  }
}
