package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.TableResolver;
import io.rowguard.cli.internal.Times;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.replay.Planner;
import io.rowguard.replay.PointInTime;
import io.rowguard.replay.RollbackPlan;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    description = {
      "Put rows back the way they were at an earlier moment: the named rows (--key), or every row"
          + " of the table that changed since (no --key). A row that did not exist then is"
          + " deleted; a row deleted since is inserted again; rows untouched since are not written.",
      "Without --apply it only prints the plan. With --apply it writes the plan in one"
          + " transaction, after locking each row and checking that it still looks the way the"
          + " journal says: rows that moved on are conflicts (see --on-conflict).",
    },
    footer = {
      "",
      "Examples:",
      "  rowguard rollback -c shop.properties --table orders --key 42 --to 2026-11-23T10:00:00Z",
      "  rowguard rollback -c shop.properties --table orders --before-tx 1234 --apply --reason 'bad deploy'",
    })
final class RollbackCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--table", required = true, paramLabel = "T", description = "The table.")
  String table;

  @Option(
      names = "--key",
      paramLabel = "K",
      description = "A row's primary key (repeat for several rows); none: the whole table.")
  List<String> keys = new ArrayList<>();

  @Option(
      names = "--keys-from",
      paramLabel = "FILE",
      description =
          "Roll back the rows whose keys a file lists, one per line, as for --key (blank lines and"
              + " lines starting with # are skipped); - reads standard input.")
  String keysFrom;

  static final class Point {
    @Option(
        names = "--to",
        paramLabel = "TS",
        description = "The moment to go back to: ISO-8601 with an offset or Z.")
    String to;

    @Option(
        names = "--before-tx",
        paramLabel = "TX",
        description = "Go back to just before this transaction committed.")
    String beforeTx;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Point point;

  @Mixin PlanOptions options;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  private static List<String> readKeys(String file) {
    List<String> lines;
    try {
      lines =
          file.equals("-")
              ? new java.io.BufferedReader(
                      new java.io.InputStreamReader(
                          System.in, java.nio.charset.StandardCharsets.UTF_8))
                  .lines()
                  .toList()
              : java.nio.file.Files.readAllLines(java.nio.file.Path.of(file));
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      throw new io.rowguard.core.InputException(
          "--keys-from " + file + ": cannot read it (" + e.getMessage() + ")");
    }
    List<String> out =
        lines.stream().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    if (out.isEmpty()) {
      throw new io.rowguard.core.InputException("--keys-from " + file + " lists no key");
    }
    return out;
  }

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    if (keysFrom != null) {
      keys.addAll(readKeys(keysFrom));
    }
    options.policy();
    PointInTime at =
        point.to != null
            ? new PointInTime.At(Times.parseMicros(point.to, "--to"))
            : new PointInTime.BeforeTx(point.beforeTx.trim());
    options.startFreshnessCheck(cfg); // answered once the journal is open and the plan made
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      RollbackPlan plan;
      TableId id = TableResolver.resolve(table, journal.tables());
      TableSchema schema = journal.latestSchema(id).orElseThrow();
      Planner planner = new Planner(journal, clock);
      if (keys.isEmpty() && options.apply && options.expectPlan == null) {
        planner.check(id, at); // bad input is refused before the database is asked anything
        options.ensureFresh(cfg, journal);
        // planned and written together: the rows are staged while the journal is read
        return options.runTable(cfg, planner, id, at, spec.commandLine().getOut());
      }
      List<RowKey> parsed = keys.stream().map(k -> RowKey.parse(k, schema)).toList();
      // planned once from the journal as it is (bad input refused at once), and again if the
      // journal moved on while it caught up with the database
      plan = keys.isEmpty() ? planner.rollbackTable(id, at) : planner.rollbackRows(id, parsed, at);
      if (options.ensureFresh(cfg, journal)) {
        plan =
            keys.isEmpty() ? planner.rollbackTable(id, at) : planner.rollbackRows(id, parsed, at);
      }
      // inside: a large plan reads its rows back from the journal as they are shown or applied
      return options.run(cfg, plan, spec.commandLine().getOut());
    }
  }
}
