package io.rowguard.cli.internal;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Mirror;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import io.rowguard.journal.Journal;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror on a thread of its own inside {@code capture} ({@code mirror.enabled=true}). It reads
 * the capture's own journal instance, whose reads are safe beside its writer: a secondary instance
 * would replay every write into memtables of its own, CPU taken from capture. Its problems are
 * logged and never stop capture; closing it ends its Kafka transaction and waits for it.
 */
public final class MirrorTask implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorTask.class);

  private final AtomicBoolean stop = new AtomicBoolean();
  private final Thread thread;

  private MirrorTask(RowguardConfig config, Journal journal, Capture capture, Clock clock) {
    this.thread = new Thread(() -> run(config, journal, capture, clock), "rowguard-mirror");
    thread.setDaemon(true);
  }

  /**
   * Starts the mirror when {@code mirror.enabled=true}, yielding to {@code capture} while it is
   * behind its source; else a task that does nothing.
   */
  public static AutoCloseable startIfEnabled(
      RowguardConfig config, Journal journal, Capture capture, Clock clock) {
    if (!config.mirror().enabled()) {
      return () -> {};
    }
    MirrorTask task = new MirrorTask(config, journal, capture, clock);
    task.thread.start();
    return task;
  }

  private void run(RowguardConfig config, Journal journal, Capture capture, Clock clock) {
    try {
      Mirror mirror = new Mirror(config, journal, clock, LOG::warn).yieldingTo(capture);
      LOG.info(
          "Mirroring to {} (topics {}.*, transactional.id {})",
          config.mirror().bootstrapServers(),
          config.mirror().topicPrefix(),
          mirror.transactionalId());
      mirror.run(0, Mirror.FOLLOW, stop::get);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RowguardException e) {
      LOG.error("The mirror stopped; capture goes on: {}", e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("The mirror stopped; capture goes on", e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    thread.join(30_000);
  }
}
