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
}
