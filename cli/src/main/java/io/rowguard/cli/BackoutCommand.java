package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.Granularity;
import io.rowguard.replay.Planner;
import io.rowguard.replay.RollbackPlan;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "backout",
    mixinStandardHelpOptions = true,
    description = {
      "Undo transactions' changes in every table they touched, value by value, keeping the work"
          + " of every other transaction: the result is what the database would hold had the"
          + " listed transactions never run.",
      "A value a listed transaction changed goes back, unless a later transaction changed it too:"
          + " a conflict, as is a row a listed transaction inserted and a later one changed, or a"
          + " key it deleted and a later one used again. --on-conflict abort (default) writes"
          + " nothing and names each conflicting value; skip keeps the later work; overwrite puts"
          + " the earlier value back. Values only later transactions changed are never touched.",
      "Several --tx are one plan, applied in one database transaction. --granularity row puts"
          + " each touched row back whole instead; --cascade backs out the later writers of the"
          + " rows too.",
      "A rollback made by rowguard is a transaction like any other: back it out to undo it.",
    },
    footer = {
      "",
      "Examples:",
      "  rowguard backout -c shop.properties --tx 1234",
      "  rowguard backout -c shop.properties --tx 1234 --tx 1235 --tx 1240 --on-conflict skip"
          + " --apply --reason 'test loader hit prod'",
    })
final class BackoutCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--tx",
      required = true,
      paramLabel = "TX",
      description =
          "A transaction id (`history`, `audit`, `incidents` show them); repeat for more.")
  List<String> tx;

  @Option(
      names = "--granularity",
      paramLabel = "cell|row",
      defaultValue = "cell",
      description =
          "cell: put back the values the transactions changed (default); row: each touched row"
              + " whole, to its state before them.")
  String granularity;

  @Option(names = "--cascade", description = "Back out the dependents too, newest first.")
  boolean cascade;

  @Mixin PlanOptions options;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    ConflictPolicy policy = options.policy();
    Granularity unit;
    try {
      unit = Granularity.parse(granularity);
    } catch (IllegalArgumentException e) {
      throw new InputException("bad --granularity '" + granularity + "': use cell or row");
    }
    List<String> ids = tx.stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
    if (ids.isEmpty()) {
      throw new InputException("--tx needs a transaction id");
    }
    RollbackPlan plan;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      Planner planner = new Planner(journal, clock);
      // planned once from the journal as it is (bad input refused at once), and again if the
      // journal moved on while it caught up with the database
      plan = planner.backout(ids, unit, policy, cascade);
      if (options.ensureFresh(cfg, journal)) {
        plan = planner.backout(ids, unit, policy, cascade);
      }
    }
    return options.run(cfg, plan, spec.commandLine().getOut());
  }
}
