package io.rowguard.connectors;

import io.rowguard.connectors.internal.Sources;
import io.rowguard.connectors.internal.mirror.MirrorLoop;
import io.rowguard.core.ConfigException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.time.Clock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Mirrors a journal into Kafka, exactly once, in Debezium's record format: one topic per table
 * ({@code <prefix>.<schema>.<table>}), the transaction topic ({@code <prefix>.transaction}), and
 * the mirror's own position ({@code <prefix>.rowguard-mirror}), written in the same Kafka
 * transaction as the records it covers. Reads the journal while capture writes it.
 *
 * <pre>{@code
 * try (Journal journal = Journal.openReader(config.journalDir())) {
 *   Mirror.Result r = new Mirror(config, journal, Clock.systemUTC(), log::warn)
 *       .run(0, Long.MAX_VALUE, stopping::get);
 * }
 * }</pre>
 */
public final class Mirror {
  private final MirrorLoop loop;

  /** {@code untilSeq} of a run that follows the journal until stopped. */
  public static final long FOLLOW = Long.MAX_VALUE;

  /** {@code untilSeq} of a bounded run that ends at the journal's end as it finds it. */
  public static final long TO_END = Long.MAX_VALUE - 1;

  /** What a run published: changes, and the last change's sequence number. */
  public record Result(long changes, long lastSeq) {}

  /**
   * @param say where the mirror reports problems and recoveries, one line each
   * @throws ConfigException when {@code mirror.bootstrap.servers} is not set
   */
  public Mirror(RowguardConfig config, Journal journal, Clock clock, Consumer<String> say) {
    if (!config.mirror().configured()) {
      throw new ConfigException(
          "config "
              + config.file()
              + ": missing key mirror.bootstrap.servers (the Kafka brokers, e.g. kafka1:9092)");
    }
    this.loop = new MirrorLoop(config.mirror(), Sources.sourceBlock(config), journal, clock, say);
  }

  /**
   * Makes this mirror, running in capture's process, yield to {@code capture} while it is behind
   * its source ({@link Capture#behind()}): each Kafka transaction is then followed by a pause nine
   * times as long (at most a second), so the mirror publishes at most a tenth of the time.
   * Capture's lag holds WAL on the production database; the mirror's only holds journal entries,
   * and it catches up once capture has.
   */
  public Mirror yieldingTo(Capture capture) {
    loop.yieldTo(capture::behind);
    return this;
  }

  /** The version of the Kafka client the mirror and the Kafka source use. */
  public static String kafkaVersion() {
    return org.apache.kafka.common.utils.AppInfoParser.getVersion();
  }

  /** The Kafka transactional id this journal's mirror uses (for ACLs). */
  public String transactionalId() {
    return loop.transactionalId();
  }

  /**
   * Publishes until {@code stop} returns true, or, when {@code untilSeq} is not {@link #FOLLOW},
   * until the changes up to it (to the end of its transaction) or to the journal's end are
   * published ({@link #TO_END}: just the latter).
   *
   * @param fromSeq republish from the transaction that holds this change; 0 continues from the
   *     position Kafka holds
   * @throws MirrorException when retrying cannot help
   * @throws InterruptedException when the thread is interrupted; the open Kafka transaction is
   *     aborted
   */
  public Result run(long fromSeq, long untilSeq, BooleanSupplier stop) throws InterruptedException {
    return loop.run(fromSeq, untilSeq, stop);
  }
}
