package io.rowguard.cli;

import io.rowguard.audit.AuditLog;
import io.rowguard.audit.AuditQuery;
import io.rowguard.cli.internal.AuditOutput;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.TableResolver;
import io.rowguard.cli.internal.Times;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "List journaled changes, newest first: when, which transaction, who (from the"
          + " transaction's rowguard message or the table's actor column; 'unattributed' when"
          + " nothing says), what operation, which row, which columns. Filters combine. Works"
          + " while capture runs.",
    },
    footer = {
      "",
      "Answers come a page at a time (--limit); the last line on stderr says how to get the next.",
      "",
      "Examples:",
      "  rowguard audit -c shop.properties --table orders --since 2026-11-24T09:00:00Z",
      "  rowguard audit -c shop.properties --actor alice --json",
      "  rowguard audit -c shop.properties --unattributed --limit 0 --csv > unattributed.csv",
      "  rowguard audit -c shop.properties --tx 48213"
    })
final class AuditCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--table", paramLabel = "T", description = "Only this table's changes.")
  String table;

  @Option(names = "--actor", paramLabel = "A", description = "Only changes attributed to A.")
  String actor;

  @Option(names = "--unattributed", description = "Only changes nobody is attributed for.")
  boolean unattributed;

  @Option(names = "--tx", paramLabel = "TX", description = "Only this transaction's changes.")
  String tx;

  @Option(
      names = "--since",
      paramLabel = "TS",
      description = "Only changes committed at or after TS (ISO-8601 with an offset or Z).")
  String since;

  @Option(
      names = "--until",
      paramLabel = "TS",
      description = "Only changes committed at or before TS.")
  String until;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "100",
      description = "At most N changes (default: ${DEFAULT-VALUE}; 0: all of them).")
  int limit;

  @Option(
      names = "--before",
      paramLabel = "SEQ",
      description = "Start below journal entry SEQ: the next page of an earlier answer.")
  Long before;

  static final class Format {
    @Option(names = "--json", description = "One JSON document (streamed).")
    boolean json;

    @Option(names = "--csv", description = "CSV with a header row.")
    boolean csv;
  }

  @ArgGroup(exclusive = true)
  Format format = new Format();

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Logging.quiet();
    if (limit < 0) {
      throw new InputException("bad --limit " + limit + ": use 0 (all) or more");
    }
    if (before != null && before < 1) {
      throw new InputException("bad --before " + before + ": a journal sequence number, 1 or more");
    }
    if (unattributed && actor != null) {
      throw new InputException("--actor and --unattributed exclude each other");
    }
    OptionalLong sinceMicros =
        since == null ? OptionalLong.empty() : OptionalLong.of(Times.parseMicros(since, "--since"));
    OptionalLong untilMicros =
        until == null ? OptionalLong.empty() : OptionalLong.of(Times.parseMicros(until, "--until"));
    if (sinceMicros.isPresent()
        && untilMicros.isPresent()
        && sinceMicros.getAsLong() > untilMicros.getAsLong()) {
      throw new InputException("--since " + since + " is after --until " + until);
    }
    RowguardConfig cfg = config.load();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      Optional<TableId> t =
          table == null
              ? Optional.empty()
              : Optional.of(TableResolver.resolve(table, journal.tables()));
      AuditQuery q =
          new AuditQuery(
              t,
              Optional.ofNullable(actor),
              unattributed,
              Optional.ofNullable(tx),
              sinceMicros,
              untilMicros,
              before == null ? Long.MAX_VALUE : before,
              limit);
      PrintWriter out = spec.commandLine().getOut();
      AuditLog.Page page;
      try (AuditOutput output = output(out, q)) {
        page = new AuditLog(journal).run(q, output::row);
        output.finish(page);
      }
      if (page.next().isPresent() && !format.json) {
        PrintWriter err = spec.commandLine().getErr();
        err.printf(
            "%d changes shown; more: add --before %d (or --limit 0 for all)%n",
            page.rows(), page.next().getAsLong());
        err.flush();
      }
      return Main.OK;
    }
  }

  private AuditOutput output(PrintWriter out, AuditQuery q) {
    if (format.json) {
      Map<String, Object> query = new LinkedHashMap<>();
      query.put("journal", config.load().journalDir().toString());
      q.table().ifPresent(x -> query.put("table", x.toString()));
      q.actor().ifPresent(x -> query.put("actor", x));
      if (q.unattributed()) {
        query.put("unattributed", true);
      }
      q.txId().ifPresent(x -> query.put("tx", x));
      if (since != null) {
        query.put("since", since);
      }
      if (until != null) {
        query.put("until", until);
      }
      if (before != null) {
        query.put("before", before);
      }
      query.put("limit", limit);
      return AuditOutput.json(out, query);
    }
    return format.csv ? AuditOutput.csv(out) : AuditOutput.text(out);
  }
}
