package io.rowguard.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.audit.Incident;
import io.rowguard.audit.IncidentFinder;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.ProgressBar;
import io.rowguard.cli.internal.TextTable;
import io.rowguard.cli.internal.Times;
import io.rowguard.core.Durations;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionSummary;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Journal;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "incidents",
    mixinStandardHelpOptions = true,
    description = {
      "Rank the transactions of a time range by how unusual they are, strangest first: rows"
          + " written to a table against what that table usually sees per transaction (updates"
          + " and deletes weigh double), more tables than usual, mass writes nobody is attributed"
          + " for. The bad write of an incident is on the first screen.",
    },
    footer = {
      "",
      "Then: rowguard blast-radius -c FILE --tx TX to see what it touched, rowguard backout -c"
          + " FILE --tx TX to undo it.",
      "",
      "Example:",
      "  rowguard incidents -c shop.properties --since 2026-11-24T08:00:00Z"
    })
final class IncidentsCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--since",
      required = true,
      paramLabel = "TS",
      description = "Start of the range (ISO-8601 with an offset or Z).")
  String since;

  @Option(names = "--until", paramLabel = "TS", description = "End of the range (default: now).")
  String until;

  @Option(
      names = "--baseline",
      paramLabel = "DURATION",
      defaultValue = "7d",
      description =
          "How much traffic before --until to learn what is usual from (default:"
              + " ${DEFAULT-VALUE}; e.g. 24h, 30d).")
  String baseline;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "10",
      description = "Show the N strangest (default: ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--json", description = "Print one JSON document instead of a table.")
  boolean json;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    Logging.quiet();
    long sinceMicros = Times.parseMicros(since, "--since", clock);
    long untilMicros =
        until == null ? clock.millis() * 1000L : Times.parseMicros(until, "--until", clock);
    if (sinceMicros > untilMicros) {
      throw new InputException("--since " + since + " is after --until " + describeUntil());
    }
    Duration base = Durations.parse(baseline, "--baseline");
    if (limit < 1) {
      throw new InputException("bad --limit " + limit + ": 1 or more");
    }
    RowguardConfig cfg = config.load();
    List<Incident> found;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      long baselineFrom = Math.max(Long.MIN_VALUE / 2, untilMicros - base.toNanos() / 1000L);
      found =
          new IncidentFinder(journal)
              .find(
                  sinceMicros,
                  untilMicros,
                  baselineFrom,
                  limit,
                  new ProgressBar(System.err, 1_000_000));
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode doc = Json.NODES.objectNode();
      doc.put("since", ValueFormat.instant(sinceMicros));
      doc.put("until", ValueFormat.instant(untilMicros));
      doc.put("baseline", Durations.format(base));
      ArrayNode list = doc.putArray("incidents");
      int rank = 0;
      for (Incident i : found) {
        TransactionSummary t = i.transaction();
        ObjectNode n = list.addObject();
        n.put("rank", ++rank);
        n.put("score", Math.round(i.score() * 100) / 100.0);
        n.put("tx", t.txId());
        n.put("committed", ValueFormat.instant(t.commitMicros()));
        var actors = n.putArray("actors");
        t.actors().forEach(actors::add);
        n.put("rows", t.rows());
        n.put("unattributed", t.unattributed());
        n.put("rollback", t.isRollback());
        if (i.undoneBy() != null) {
          ObjectNode u = n.putObject("backedOutBy");
          u.put("tx", i.undoneBy().txId());
          u.put(
              "committed",
              i.undoneBy().commitMicros() == Long.MIN_VALUE
                  ? null
                  : ValueFormat.instant(i.undoneBy().commitMicros()));
          u.put("by", i.undoneBy().operator());
          u.put("plan", i.undoneBy().plan());
        }
        ObjectNode tables = n.putObject("tables");
        t.tables()
            .forEach(
                (table, c) -> {
                  ObjectNode tc = tables.putObject(table.toString());
                  tc.put("inserted", c.inserts());
                  tc.put("updated", c.updates());
                  tc.put("deleted", c.deletes());
                });
        var reasons = n.putArray("reasons");
        i.reasons().forEach(reasons::add);
      }
      Json.print(out, doc);
      return Main.OK;
    }
    out.printf(
        "transactions committed %s to %s, strangest first (judged against %s of traffic):%n",
        ValueFormat.instant(sinceMicros), ValueFormat.instant(untilMicros), Durations.format(base));
    if (found.isEmpty()) {
      out.println("none: the journal has no transaction in that range");
      out.flush();
      return Main.OK;
    }
    TextTable t =
        new TextTable("#", "SCORE", "TX", "COMMITTED (UTC)", "BY", "ROWS", "TABLES", "WHY");
    int rank = 0;
    for (Incident i : found) {
      TransactionSummary s = i.transaction();
      t.add(
          Integer.toString(++rank),
          String.format(Locale.ROOT, "%.1f", i.score()),
          s.txId(),
          ValueFormat.instant(s.commitMicros()),
          s.actorText(),
          Long.toString(s.rows()),
          s.tables().keySet().stream().map(TableId::toString).collect(Collectors.joining(",")),
          String.join("; ", i.reasons()));
    }
    t.print(out);
    out.println();
    Incident top = found.stream().filter(Incident::undoable).findFirst().orElse(null);
    if (top == null) {
      out.println(
          "Nothing left to undo here: every transaction listed is a rowguard rollback or was backed"
              + " out by one.");
    } else {
      out.printf(
          "Look closer: rowguard blast-radius -c %s --tx %s   Undo: rowguard backout -c %s --tx"
              + " %s%n",
          config.file, top.transaction().txId(), config.file, top.transaction().txId());
    }
    out.flush();
    return Main.OK;
  }

  private String describeUntil() {
    return until == null ? "now" : until;
  }
}
