package io.rowguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.GapView;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.ProgressBar;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Journal;
import io.rowguard.journal.VerifyReport;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Prove the journal was not altered: recompute the hash chain over every entry (each"
          + " entry's hash covers the one before it) and check that every index agrees with the"
          + " entries. Prints the number of entries verified and the chain's head, or the first"
          + " bad entry (sequence, table, key, commit time) and exits 1. Works while capture runs.",
    },
    footer = {
      "",
      "Note the head hash down (or let your monitoring keep it): a later verify that still shows"
          + " that hash at that entry proves nothing up to it changed.",
      "",
      "Exit codes: 0 intact, 1 a bad entry or an unreadable journal file, 2 bad usage."
    })
final class VerifyCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    VerifyReport r;
    java.util.List<io.rowguard.journal.Gap> gaps;
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      r = journal.verify(new ProgressBar(System.err, 1_000_000));
      gaps = journal.gaps();
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode doc = Json.NODES.objectNode();
      doc.put("journal", cfg.journalDir().toString());
      doc.put("ok", r.ok());
      doc.put("entries", r.records());
      doc.put("changes", r.changes());
      doc.put("keptBeforeRetentionCut", r.keptBeforeCut());
      doc.put("headSeq", r.headSeq());
      doc.put("headHash", r.headHash());
      r.problem()
          .ifPresent(
              p -> {
                ObjectNode bad = doc.putObject("problem");
                bad.put("seq", p.seq());
                bad.put("table", p.table().map(Object::toString).orElse(null));
                bad.put("key", p.key().orElse(null));
                bad.put(
                    "committed",
                    p.commitMicros().isPresent()
                        ? ValueFormat.instant(p.commitMicros().getAsLong())
                        : null);
                bad.put("what", p.what());
                bad.put("message", p.describe());
              });
      var remarks = doc.putArray("remarks");
      r.remarks().forEach(remarks::add);
      doc.put("complete", gaps.isEmpty());
      doc.set("gaps", GapView.json(gaps));
      Json.print(out, doc);
      return r.ok() ? Main.OK : Main.FAILED;
    }
    r.remarks().forEach(m -> spec.commandLine().getErr().println("note: " + m));
    if (r.ok()) {
      out.printf(
          "verified %,d entries (%,d changes%s): the hash chain and every index are intact%n",
          r.records(),
          r.changes(),
          r.keptBeforeCut() > 0
              ? ", " + r.keptBeforeCut() + " kept from before the retention cut"
              : "");
      out.printf("head: entry %d, hash %s%n", r.headSeq(), r.headHash());
      if (gaps.isEmpty()) {
        out.println("complete: no gap recorded");
      } else {
        out.printf(
            "complete: no, %d gap(s) recorded (%d open), where the journal does not hold every"
                + " change or before image:%n",
            gaps.size(), gaps.stream().filter(io.rowguard.journal.Gap::isOpen).count());
        GapView.print(out, "  gap: ", gaps);
      }
      out.flush();
      return Main.OK;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(
        "rowguard: journal "
            + cfg.journalDir()
            + " is not intact: "
            + r.problem().get().describe());
    err.flush();
    return Main.FAILED;
  }
}
