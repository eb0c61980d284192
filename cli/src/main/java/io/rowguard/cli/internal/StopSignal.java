package io.rowguard.cli.internal;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a long-running command is asked to stop: SIGTERM or SIGINT (Ctrl-C), or the JVM shutting
 * down, sets {@link #requested()}; the shutdown hook then waits (up to a bound) until the command
 * has {@link #close() closed} this, so that it ends its work cleanly before the JVM exits.
 */
public final class StopSignal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StopSignal.class);

  private final CountDownLatch requested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread hook;

  private StopSignal(String name, Duration wait) {
    this.hook =
        new Thread(
            () -> {
              requested.countDown();
              try {
                stopped.await(wait.toMillis(), TimeUnit.MILLISECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            name + "-shutdown");
  }

  /** Installs the hook and the signal handlers; the hook waits up to {@code wait} for the close. */
  @SuppressWarnings("restriction")
  public static StopSignal install(String name, Duration wait) {
    StopSignal s = new StopSignal(name, wait);
    Runtime.getRuntime().addShutdownHook(s.hook);
    for (String signal : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(signal), x -> s.requested.countDown());
      } catch (IllegalArgumentException | UnsupportedOperationException e) {
        LOG.debug("Cannot handle SIG{}; the shutdown hook will stop {}", signal, name, e);
      }
    }
    return s;
  }

  /** True once a stop was asked for. */
  public boolean requested() {
    return requested.getCount() == 0;
  }

  /** Waits up to {@code timeout} for a stop request; true when one came. */
  public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    return requested.await(timeout, unit);
  }

  /** The command is done: the hook may let the JVM exit. */
  @Override
  public void close() {
    stopped.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running: it waits for `stopped`
    }
  }
}
