package io.rowguard.cli.internal;

import io.rowguard.core.Durations;
import io.rowguard.journal.Journal;
import io.rowguard.journal.PruneResult;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code journal.retention} while capture runs: shortly after start, then every tenth of
 * the retention (at least a minute, at most an hour), prunes what was committed before now minus
 * the retention, on its own thread. A prune that fails is logged and tried again next time; one cut
 * short (by a stop) is finished by the next.
 */
public final class RetentionTask implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RetentionTask.class);

  private final ScheduledExecutorService executor;

  public RetentionTask(Journal journal, Duration retention, Clock clock, Duration firstDelay) {
    long every = Math.max(60, Math.min(3600, retention.dividedBy(10).toSeconds()));
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "rowguard-retention");
              t.setDaemon(true);
              return t;
            });
    LOG.info(
        "Keeping {} of journal (journal.retention), pruning every {}",
        Durations.format(retention),
        Durations.format(Duration.ofSeconds(every)));
    executor.scheduleWithFixedDelay(
        () -> prune(journal, retention, clock),
        firstDelay.toMillis(),
        every * 1000L,
        TimeUnit.MILLISECONDS);
  }

  static void prune(Journal journal, Duration retention, Clock clock) {
    long cut = clock.millis() * 1000L - retention.toNanos() / 1000L;
    try {
      PruneResult r = journal.prune(cut, clock, Journal.Progress.NONE);
      if (r.prunedAnything()) {
        LOG.info(
            "retention: pruned {} changes committed before the cut; kept {} rows' last versions",
            r.removedChanges(),
            r.keptBases());
      }
    } catch (RuntimeException e) {
      if (!Thread.currentThread().isInterrupted()) {
        LOG.warn("retention: prune failed, trying again later: {}", e.getMessage());
      }
    }
  }

  /**
   * Stops, interrupting a prune in progress (it resumes next time), and waits for it: the journal
   * must not close under a thread still inside it.
   */
  @Override
  public void close() {
    executor.shutdownNow();
    boolean interrupted = false;
    while (true) {
      try {
        if (executor.awaitTermination(30, TimeUnit.SECONDS)) {
          break;
        }
        LOG.warn("retention: waiting for a prune to stop");
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
