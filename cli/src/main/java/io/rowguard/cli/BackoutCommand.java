package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.replay.Planner;
import io.rowguard.replay.RollbackPlan;
import java.time.Clock;
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
      "Undo one transaction's changes in every table it touched: each row goes back to its state"
          + " just before the transaction.",
      "Later transactions that changed the same rows are dependents: they are listed, and by"
          + " default they make the backout a conflict; --cascade backs them out too.",
      "A rollback made by rowguard is a transaction like any other: back it out to undo it.",
    },
    footer = {
      "",
      "Example:",
      "  rowguard backout -c shop.properties --tx 1234 --apply --reason 'test loader hit prod'",
    })
final class BackoutCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--tx", required = true, paramLabel = "TX", description = "The transaction id.")
  String tx;

  @Option(names = "--cascade", description = "Back out the dependents too, newest first.")
  boolean cascade;

  @Mixin PlanOptions options;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    options.policy();
    RollbackPlan plan;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      plan = new Planner(journal, clock).backout(tx.trim(), cascade);
    }
    return options.run(cfg, plan, spec.commandLine().getOut());
  }
}
