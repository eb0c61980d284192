package io.rowguard.connectors;

import io.rowguard.connectors.internal.Source;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * Whether the journal holds every change the source committed before now: a plan made from a
 * journal that lags would call rows "at their target" that a write it has not seen moved on.
 *
 * <p>A mark is written into the source's log (a transactional logical message: a few bytes of WAL)
 * and the journal is read until its position passes the mark, which takes as long as capture takes
 * to journal a transaction when it keeps up. Capture stopped, or behind by more than the wait, is a
 * stale journal.
 *
 * @param fresh true when the journal caught up with the mark in time
 * @param mark the mark's position in the source's log
 * @param journaled the journal's position when the wait ended (empty: none yet)
 * @param behind how far behind the mark it was then, in {@code unit}s (-1: no position)
 * @param unit what {@code behind} counts: bytes of WAL (PostgreSQL), transactions (binlog)
 * @param waited how long it took from the start of the check
 */
public record Freshness(
    boolean fresh, String mark, String journaled, long behind, String unit, Duration waited) {

  /** Polls often while capture is likely to be about to pass the mark, then every 20 ms. */
  private static final long POLL_MILLIS = 2;

  private static final long SLOW_POLL_MILLIS = 20;

  private static final long FAST_POLLING_NANOS = 250_000_000L;

  /**
   * Marks the source's log and waits up to {@code wait} for {@code journal} (a reader: it is
   * refreshed) to pass the mark; {@code progress} hears how far behind it is, about every second.
   */
  public static Freshness await(
      RowguardConfig config, Journal journal, Duration wait, Consumer<String> progress) {
    return start(config).await(journal, wait, progress);
  }

  /**
   * Starts marking the source's log, in the background: a command starts the check first and asks
   * for the answer once it has opened the journal and planned, so that the connection, the mark and
   * capture's journaling of it overlap that work rather than add to it. A change committed before
   * the command started is before the mark.
   */
  public static Check start(RowguardConfig config) {
    return new Check(config);
  }

  /** A check under way: the mark being written, then the wait for the journal to pass it. */
  public static final class Check {
    private final long started = System.nanoTime();
    private final CompletableFuture<String> mark = new CompletableFuture<>();
    private final Source source;

    private Check(RowguardConfig config) {
      this.source = Source.of(config);
      Thread t =
          new Thread(
              () -> {
                try {
                  mark.complete(source.mark());
                } catch (RuntimeException | Error e) {
                  mark.completeExceptionally(e);
                }
              },
              "rowguard-fence");
      t.setDaemon(true);
      t.start();
    }

    /**
     * Waits up to {@code wait} (from now) for {@code journal} (a reader: it is refreshed) to pass
     * the mark; {@code progress} hears how far behind it is, about every second. Writing the mark
     * failed: that failure, as the source describes it.
     */
    public Freshness await(Journal journal, Duration wait, Consumer<String> progress) {
      long deadline = System.nanoTime() + wait.toNanos();
      String position;
      try {
        position = mark.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Freshness(false, "", "", -1, "", Duration.ofNanos(System.nanoTime() - started));
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw (Error) e.getCause();
      }
      return poll(position, journal, deadline, progress);
    }

    private Freshness poll(String mark, Journal journal, long deadline, Consumer<String> progress) {
      long polling = System.nanoTime();
      long nextReport = polling + 1_000_000_000L;
      while (true) {
        journal.refresh();
        Source.Lag lag = source.lag(mark, journal);
        long behind = lag.behind();
        long now = System.nanoTime();
        if (behind == 0 || now - deadline >= 0) {
          return new Freshness(
              behind == 0,
              mark,
              lag.journaled(),
              behind,
              lag.unit(),
              Duration.ofNanos(now - started));
        }
        if (now - nextReport >= 0) {
          progress.accept(
              "waiting for capture to journal everything up to "
                  + mark
                  + (behind < 0
                      ? " (the journal has no position yet)"
                      : ": " + behind + " " + lag.unit() + " behind"));
          nextReport = now + 1_000_000_000L;
        }
        try {
          Thread.sleep(now - polling < FAST_POLLING_NANOS ? POLL_MILLIS : SLOW_POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Freshness(
              false,
              mark,
              lag.journaled(),
              behind,
              lag.unit(),
              Duration.ofNanos(System.nanoTime() - started));
        }
      }
    }
  }
}
