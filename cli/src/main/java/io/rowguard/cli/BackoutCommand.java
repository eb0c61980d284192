package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.TableResolver;
import io.rowguard.cli.internal.Times;
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
      "Several --tx are one plan, applied in one database transaction; --actor A (or"
          + " --unattributed) with --since selects every transaction of that writer in the time"
          + " window instead, listed before the rows. --granularity row puts each touched row back"
          + " whole instead; --cascade backs out the later writers of the rows too.",
      "A rollback made by rowguard is a transaction like any other: back it out to undo it.",
    },
    footer = {
      "",
      "Examples:",
      "  rowguard backout -c shop.properties --tx 1234",
      "  rowguard backout -c shop.properties --tx 1234 --tx 1235 --tx 1240 --on-conflict skip"
          + " --apply --reason 'test loader hit prod'",
      "  rowguard backout -c shop.properties --actor loader --since 2h --table orders",
    })
final class BackoutCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--tx",
      paramLabel = "TX",
      description =
          "A transaction id (`history`, `audit`, `incidents` show them); repeat for more.")
  List<String> tx = new java.util.ArrayList<>();

  @Option(
      names = "--actor",
      paramLabel = "A",
      description = "Select the transactions attributed to A (with --since).")
  String actor;

  @Option(
      names = "--unattributed",
      description = "Select the transactions attributed to nobody (with --since).")
  boolean unattributed;

  @Option(
      names = "--since",
      paramLabel = "TS",
      description = "Start of the selection's window: ISO-8601, or a time ago (2h, 30m).")
  String since;

  @Option(
      names = "--until",
      paramLabel = "TS",
      description = "End of the selection's window (exclusive); default: now.")
  String until;

  @Option(
      names = "--table",
      paramLabel = "T",
      description = "Select only transactions that wrote this table (repeat for more).")
  List<String> tables = new java.util.ArrayList<>();

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
    List<String> named = tx.stream().map(String::trim).filter(t -> !t.isEmpty()).toList();
    boolean selecting = actor != null || unattributed;
    if (actor != null && unattributed) {
      throw new InputException("--actor and --unattributed select different writers: give one");
    }
    if (!selecting && (since != null || until != null || !tables.isEmpty())) {
      throw new InputException(
          "--since, --until and --table select with --actor or --unattributed");
    }
    if (selecting && since == null) {
      throw new InputException("--actor and --unattributed need --since (e.g. --since 2h)");
    }
    if (!selecting && named.isEmpty()) {
      throw new InputException(
          "name the transactions with --tx, or select them with --actor A (or --unattributed)"
              + " and --since");
    }
    options.startFreshnessCheck(cfg); // answered once the journal is open and the plan made
    RollbackPlan plan;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      Planner planner = new Planner(journal, clock);
      List<String> ids = new java.util.ArrayList<>(named);
      if (selecting) {
        long from = Times.parseMicros(since, "--since", clock);
        java.time.Instant now = clock.instant();
        long to =
            until == null
                ? now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000 + 1
                : Times.parseMicros(until, "--until", clock);
        java.util.Set<io.rowguard.core.TableId> only = new java.util.LinkedHashSet<>();
        for (String t : tables) {
          only.add(TableResolver.resolve(t, journal.tables()));
        }
        planner.select(actor, unattributed, from, to, only).stream()
            .filter(t -> !ids.contains(t))
            .forEach(ids::add);
      }
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
