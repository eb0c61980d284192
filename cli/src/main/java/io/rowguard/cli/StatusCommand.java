package io.rowguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.Bytes;
import io.rowguard.cli.internal.GapView;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.connectors.SourceStatus;
import io.rowguard.core.Durations;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.ConsumerPositions;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalStatus;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Show what the journal holds (entries, first and last commit, position) and how far the"
          + " database's log is ahead of it (replication slot lag). Works while capture runs."
    })
final class StatusCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  private io.rowguard.connectors.Freshness kafkaLag;
  private String kafkaError = "";

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    JournalStatus js;
    java.util.List<io.rowguard.journal.Gap> gaps;
    java.util.List<ConsumerView> consumers = new java.util.ArrayList<>();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      js = journal.status();
      gaps = journal.gaps();
      for (ConsumerPositions.Position p : ConsumerPositions.list(cfg.journalDir())) {
        consumers.add(ConsumerView.of(journal, js, p));
      }
      if (cfg.fromKafka()) {
        try {
          kafkaLag =
              io.rowguard.connectors.Freshness.await(
                  cfg, journal, java.time.Duration.ZERO, l -> {});
        } catch (io.rowguard.core.RowguardException e) {
          kafkaError = e.getMessage();
        }
      }
    }
    SourceStatus ss = SourceStatus.probe(cfg);
    long nowMicros = clock.millis() * 1000L;
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode doc = Json.NODES.objectNode();
      doc.put("journal", cfg.journalDir().toString());
      doc.put("entries", js.entries());
      doc.put("tables", js.tables());
      doc.put("diskBytes", js.diskBytes());
      doc.put(
          "firstCommit",
          js.firstCommitMicros().isPresent()
              ? ValueFormat.instant(js.firstCommitMicros().getAsLong())
              : null);
      doc.put(
          "lastCommit",
          js.lastCommitMicros().isPresent()
              ? ValueFormat.instant(js.lastCommitMicros().getAsLong())
              : null);
      if (js.lastCommitMicros().isPresent()) {
        doc.put(
            "lastCommitAgeSeconds", (nowMicros - js.lastCommitMicros().getAsLong()) / 1_000_000.0);
      }
      doc.put("position", js.lastPosition());
      doc.put("lastTx", js.lastTxId());
      doc.put("lastSeq", js.lastSeq());
      doc.put(
          "retentionCut",
          js.retentionCut().isPresent()
              ? ValueFormat.instant(js.retentionCut().getAsLong())
              : null);
      doc.put("retention", cfg.retention() == null ? null : Durations.format(cfg.retention()));
      doc.put("gaps", gaps.size());
      doc.put("openGaps", gaps.stream().filter(io.rowguard.journal.Gap::isOpen).count());
      doc.set("gapList", GapView.json(gaps));
      var list = doc.putArray("consumers");
      for (ConsumerView c : consumers) {
        ObjectNode n = list.addObject();
        n.put("name", c.position().name());
        n.put("seq", c.position().seq());
        n.put("updated", c.position().updated().toString());
        n.put("entriesBehind", c.entriesBehind());
        n.put("secondsBehind", c.secondsBehind());
      }
      if (cfg.fromKafka()) {
        ObjectNode k = doc.putObject("kafkaSource");
        k.put("bootstrapServers", cfg.kafkaSource().bootstrapServers());
        k.put("topics", cfg.kafkaSource().describeTopics());
        k.put("reachable", kafkaError.isEmpty());
        if (!kafkaError.isEmpty()) {
          k.put("error", kafkaError);
        } else {
          k.put("recordsBehind", kafkaLag.behind());
        }
      }
      ObjectNode db = doc.putObject("database");
      db.put("host", cfg.host() + ":" + cfg.port() + "/" + cfg.database());
      db.put("reachable", ss.error().isEmpty());
      ss.error().ifPresent(e -> db.put("error", e));
      db.put("slot", ss.slot());
      db.put("slotExists", ss.slotExists());
      db.put("slotActive", ss.slotActive());
      db.put("serverLsn", ss.serverLsn());
      db.put("confirmedLsn", ss.confirmedLsn());
      db.put("lagBytes", ss.lagBytes());
      db.put("retainedBytes", ss.retainedBytes());
      db.put("walStatus", ss.walStatus());
      db.put("maxSlotWalKeepSize", ss.maxSlotWalKeepSize());
      db.put("warnRetainedWalBytes", cfg.warnRetainedWalBytes());
      Json.print(out, doc);
      return Main.OK;
    }
    out.printf("journal       %s%n", cfg.journalDir());
    out.printf(
        "entries       %,d in %d table(s), %s on disk%n",
        js.entries(), js.tables(), bytes(js.diskBytes()));
    if (js.lastCommitMicros().isPresent()) {
      out.printf("first commit  %s%n", ValueFormat.instant(js.firstCommitMicros().getAsLong()));
      long age = (nowMicros - js.lastCommitMicros().getAsLong()) / 1_000_000L;
      out.printf(
          "last commit   %s (%s ago)%n",
          ValueFormat.instant(js.lastCommitMicros().getAsLong()), duration(age));
      out.printf("position      %s (tx %s)%n", js.lastPosition(), js.lastTxId());
    } else {
      out.println("last commit   none yet");
    }
    if (js.retentionCut().isPresent()) {
      out.printf(
          "retention     changes before %s pruned (journal.retention=%s); rollbacks reach back"
              + " to then%n",
          ValueFormat.instant(js.retentionCut().getAsLong()),
          cfg.retention() == null ? "unset now" : Durations.format(cfg.retention()));
    } else if (cfg.retention() != null) {
      out.printf(
          "retention     journal.retention=%s (nothing old enough to prune yet)%n",
          Durations.format(cfg.retention()));
    }
    GapView.print(out, "gap           ", gaps);
    for (ConsumerView c : consumers) {
      out.printf(
          "consumer      %s: up to entry %d, %,d entries (%s) behind; position stored %s ago;"
              + " retention keeps what it has not read%n",
          c.position().name(),
          c.position().seq(),
          c.entriesBehind(),
          duration(Math.round(c.secondsBehind())),
          duration(Math.max(0, (nowMicros / 1000 - c.position().updated().toEpochMilli()) / 1000)));
    }
    String where =
        cfg.host() + ":" + cfg.port() + (cfg.database().isEmpty() ? "" : "/" + cfg.database());
    if (cfg.fromKafka()) {
      out.printf(
          "source        Kafka %s, %s: %s%n",
          cfg.kafkaSource().bootstrapServers(),
          cfg.kafkaSource().describeTopics(),
          !kafkaError.isEmpty()
              ? "not reachable: " + kafkaError
              : kafkaLag.behind() < 0
                  ? "nothing journaled yet"
                  : String.format("%,d records not journaled yet", kafkaLag.behind()));
      out.printf("database      %s: rollbacks write there (apply.url)%n", where);
    } else if (ss.error().isPresent()) {
      out.printf("database      %s: not reachable: %s%n", where, ss.error().get());
    } else if (cfg.connector() != io.rowguard.core.ConnectorKind.POSTGRES) {
      // a binlog source holds nothing for capture: it reads the binlogs the server keeps
      out.printf(
          "database      %s: binlog at %s; capture reads as %s%n",
          where, ss.serverLsn(), ss.slot());
      out.printf(
          ss.maxSlotWalKeepSize().isEmpty()
              ? "binlogs       %s on the server's disk, kept until purged (the server sets no"
                  + " expiry)%n"
              : "binlogs       %s on the server's disk, expired after %s (a journal stopped"
                  + " longer than that has a gap)%n",
          bytes(ss.retainedBytes()),
          ss.maxSlotWalKeepSize());
    } else if (!ss.slotExists()) {
      out.printf(
          "database      %s: slot %s does not exist yet (capture has not started)%n",
          where, ss.slot());
    } else {
      out.printf(
          "database      %s: slot %s %s, %s of WAL behind the server (server at %s, confirmed %s)%n",
          where,
          ss.slot(),
          ss.slotActive() ? "active" : "inactive (no capture running)",
          bytes(ss.lagBytes()),
          ss.serverLsn(),
          ss.confirmedLsn());
      boolean over =
          cfg.warnRetainedWalBytes() > 0 && ss.retainedBytes() > cfg.warnRetainedWalBytes();
      out.printf(
          "retained WAL  %s held for the slot on the server's disk%s%s%s%n",
          bytes(ss.retainedBytes()),
          ss.walStatus().isEmpty() ? "" : " (wal_status " + ss.walStatus() + ")",
          "-1".equals(ss.maxSlotWalKeepSize())
              ? "; no max_slot_wal_keep_size cap"
              : "; max_slot_wal_keep_size " + ss.maxSlotWalKeepSize(),
          over ? "; MORE than capture.warn-retained-wal=" + bytes(cfg.warnRetainedWalBytes()) : "");
    }
    out.flush();
    return Main.OK;
  }

  static String bytes(long n) {
    return Bytes.format(n);
  }

  static String duration(long seconds) {
    if (seconds < 120) {
      return Math.max(0, seconds) + " s";
    }
    if (seconds < 7200) {
      return seconds / 60 + " min";
    }
    if (seconds < 172800) {
      return seconds / 3600 + " h";
    }
    return seconds / 86400 + " days";
  }

  /** How far a consumer of the journal (the mirror) is behind it. */
  private record ConsumerView(
      ConsumerPositions.Position position, long entriesBehind, double secondsBehind) {
    static ConsumerView of(Journal journal, JournalStatus js, ConsumerPositions.Position p) {
      long[] firstUnread = {-1};
      journal.scan(
          p.seq() + 1,
          e -> {
            firstUnread[0] = e.event().commitMicros();
            return false;
          });
      double seconds =
          firstUnread[0] < 0 || js.lastCommitMicros().isEmpty()
              ? 0
              : Math.max(0, js.lastCommitMicros().getAsLong() - firstUnread[0]) / 1_000_000.0;
      return new ConsumerView(p, Math.max(0, js.lastSeq() - p.seq()), seconds);
    }
  }
}
