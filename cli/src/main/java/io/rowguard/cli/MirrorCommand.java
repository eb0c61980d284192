package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.StopSignal;
import io.rowguard.cli.internal.Times;
import io.rowguard.connectors.Mirror;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "mirror",
    mixinStandardHelpOptions = true,
    description = {
      "Publish every journaled change to Kafka, exactly once, as Debezium writes it: one topic"
          + " per table (<prefix>.<schema>.<table>), key = the primary key, value = Debezium's"
          + " envelope through Kafka Connect's JsonConverter, a tombstone after each delete, and"
          + " BEGIN/END of each transaction on <prefix>.transaction. Headers add what Debezium"
          + " lacks: rowguard.actor, rowguard.reason, rowguard.seq, and rowguard.rollback-of on"
          + " the changes a rollback or backout wrote.",
      "",
      "Each Kafka transaction carries whole source transactions and the mirror's position"
          + " (topic <prefix>.rowguard-mirror), so a consumer with isolation.level=read_committed"
          + " sees each change once, however the mirror stops. Runs beside capture (it only reads"
          + " the journal) until stopped; a broker that is down or refusing holds only the mirror"
          + " back, which retries and says what is wrong.",
    },
    footer = {
      "",
      "Config keys: mirror.bootstrap.servers (required), mirror.topic.prefix (default: the"
          + " source's topic.prefix, else rowguard), mirror.schemas (true), mirror.tombstones"
          + " (true), and kafka.* for the producer (TLS, SASL, compression, linger), e.g.:",
      "  mirror.bootstrap.servers=kafka1:9092,kafka2:9092",
      "  kafka.compression.type=zstd",
      "",
      "Examples:",
      "  rowguard mirror -c shop.properties                       # follow the journal",
      "  rowguard mirror -c shop.properties --from 2h --until 1h  # republish that hour, exit",
      "",
      "Exit codes: 0 stopped or done, 1 failed (another mirror took over, a record too large),"
          + " 2 bad usage or input."
    })
final class MirrorCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(MirrorCommand.class);

  @Mixin ConfigOption config;

  @Option(
      names = "--from",
      paramLabel = "SEQ|TS",
      description =
          "Republish from this change (a sequence number, from the start of its transaction) or"
              + " time (ISO-8601 or 15m, 2h: the first transaction committed then or later),"
              + " instead of continuing where the mirror stopped: to re-seed a downstream system.")
  String from;

  @Option(
      names = "--until",
      paramLabel = "SEQ|TS|end",
      description =
          "A bounded run: publish up to this change (to the end of its transaction), the"
              + " changes committed before this time, or (end) everything, as far as the journal"
              + " holds them when the run gets there, then exit 0.")
  String until;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    RowguardConfig cfg = config.load();
    if (!Logging.verbose()) {
      // the Kafka client logs every failed connection; the mirror says what is wrong once
      Configurator.setLevel("org.apache.kafka", Level.ERROR);
    }
    // SIGTERM: the loop ends its Kafka transaction (commits or aborts it) and closes the producer
    try (StopSignal stop = StopSignal.install("rowguard-mirror", Duration.ofSeconds(30));
        Journal journal = Journal.openReader(cfg.journalDir())) {
      long fromSeq = from == null ? 0 : seq(journal, from, "--from", true);
      long untilSeq =
          until == null
              ? Mirror.FOLLOW
              : until.trim().equalsIgnoreCase("end")
                  ? Mirror.TO_END
                  : seq(journal, until, "--until", false);
      Mirror mirror = new Mirror(cfg, journal, Clock.systemUTC(), LOG::warn);
      LOG.info(
          "Mirroring {} to {} (topics {}.*, transactional.id {})",
          cfg.journalDir(),
          cfg.mirror().bootstrapServers(),
          cfg.mirror().topicPrefix(),
          mirror.transactionalId());
      Mirror.Result r = mirror.run(fromSeq, untilSeq, stop::requested);
      spec.commandLine()
          .getOut()
          .printf(
              "published %,d changes to %s; the mirror's position is change %d%n",
              r.changes(), cfg.mirror().bootstrapServers(), r.lastSeq());
      spec.commandLine().getOut().flush();
    }
    return Main.OK;
  }

  /**
   * A change's sequence number from {@code SEQ} or {@code TS}. For {@code --from}, the first change
   * committed at or after TS; for {@code --until}, the last change committed before it.
   */
  private static long seq(Journal journal, String text, String option, boolean from) {
    long last = journal.lastSeq();
    long first = firstSeq(journal);
    if (text.trim().matches("\\d+")) {
      long seq;
      try {
        seq = Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        throw new InputException(option + " " + text + " is not a change's sequence number");
      }
      if (from && (first == 0 || seq < first || seq > last)) {
        throw new InputException(
            option
                + " "
                + seq
                + ": the journal holds changes "
                + (first == 0 ? "none yet" : first + " to " + last)
                + (journal.retentionCut().isPresent()
                    ? " (older ones were pruned by journal.retention)"
                    : ""));
      }
      return seq;
    }
    long micros = Times.parseMicros(text, option);
    long seq = journal.seqAtTime(micros);
    if (from && seq > last) {
      throw new InputException(
          option + " " + text + ": the journal has no change committed then or later");
    }
    return from ? seq : seq - 1;
  }

  private static long firstSeq(Journal journal) {
    JournalEntry[] first = {null};
    journal.scan(
        1,
        e -> {
          first[0] = e;
          return false;
        });
    return first[0] == null ? 0 : first[0].seq();
  }
}
