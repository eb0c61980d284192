package io.rowguard.cli.internal.http;

import io.rowguard.connectors.Freshness;
import io.rowguard.core.RowguardConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the journal keeps up with the database, for {@code /ready} and the lag metric: every
 * {@link #INTERVAL} a freshness mark (the one plans use: a few bytes of the source's log) is
 * written and timed until the journal passes it. Ready means capture runs, and journaled the last
 * mark within {@code serve.ready-max-lag}.
 */
public final class Health implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Health.class);
  static final Duration INTERVAL = Duration.ofSeconds(15);

  /** The last check. */
  record Check(Instant at, boolean fresh, Duration lag, String why) {}

  private final RowguardConfig config;
  private final JournalAccess journal;
  private final Supplier<Optional<String>> capture;
  private final Clock clock;
  private final Thread thread;
  private volatile Check last;
  private volatile boolean closed;

  /**
   * @param capture why capture in this process is not streaming, if it is not; {@code serve} alone
   *     answers empty and learns of a stopped capture from its marks not being journaled
   */
  public Health(
      RowguardConfig config,
      JournalAccess journal,
      Supplier<Optional<String>> capture,
      Clock clock) {
    this.config = config;
    this.journal = journal;
    this.capture = capture;
    this.clock = clock;
    this.thread = new Thread(this::loop, "rowguard-ready");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void loop() {
    while (!closed) {
      check();
      try {
        Thread.sleep(INTERVAL.toMillis());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void check() {
    Duration max = config.serve().readyMaxLag();
    Instant at = clock.instant();
    try {
      Freshness f = journal.read(j -> Freshness.await(config, j, max, line -> {}));
      last =
          f.fresh()
              ? new Check(at, true, f.waited(), "")
              : new Check(
                  at,
                  false,
                  f.waited(),
                  "the journal did not catch up with the database within serve.ready-max-lag ("
                      + max.toSeconds()
                      + " s): "
                      + (f.behind() < 0
                          ? "no position yet"
                          : f.behind() + " " + f.unit() + " behind"));
    } catch (RuntimeException e) {
      LOG.debug("freshness check failed", e);
      last =
          new Check(
              at, false, Duration.ZERO, "cannot check the journal's freshness: " + e.getMessage());
    }
  }

  /** Empty when ready; else why not. */
  public Optional<String> notReady() {
    Optional<String> c = capture.get();
    if (c.isPresent()) {
      return c;
    }
    Check k = last;
    if (k == null) {
      return Optional.of("the first freshness check has not finished yet");
    }
    Duration age = Duration.between(k.at(), clock.instant());
    if (age.compareTo(INTERVAL.multipliedBy(2).plus(config.serve().readyMaxLag())) > 0) {
      return Optional.of("no freshness check finished for " + age.toSeconds() + " s");
    }
    return k.fresh() ? Optional.empty() : Optional.of(k.why());
  }

  /** How long capture took to journal the last mark, in seconds; NaN when it did not. */
  public double lagSeconds() {
    Check k = last;
    return k == null || !k.fresh() ? Double.NaN : k.lag().toNanos() / 1e9;
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
