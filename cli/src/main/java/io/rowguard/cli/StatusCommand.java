package io.rowguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.connectors.SourceStatus;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
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

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    JournalStatus js;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      js = journal.status();
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
    String where = cfg.host() + ":" + cfg.port() + "/" + cfg.database();
    if (ss.error().isPresent()) {
      out.printf("database      %s: not reachable: %s%n", where, ss.error().get());
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
    }
    out.flush();
    return Main.OK;
  }

  static String bytes(long n) {
    if (n < 0) {
      return "unknown";
    }
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format("%.1f %s", v, units[u]);
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
}
