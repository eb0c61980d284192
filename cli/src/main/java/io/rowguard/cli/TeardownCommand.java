package io.rowguard.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.connectors.Teardown;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalInUseException;
import io.rowguard.journal.SourceBinding;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "teardown",
    mixinStandardHelpOptions = true,
    description = {
      "List what this journal created in its database: the replication slot (which keeps WAL on"
          + " the server for as long as it exists, even with capture stopped) and the publication"
          + " rowguard made for it. With --apply, drop them.",
      "Refused while capture runs. A publication rowguard did not create for this journal is"
          + " listed and kept. The journal itself is left as it is: history, audit and export"
          + " still work; capture on it afterwards finds its slot gone and refuses, unless told"
          + " --accept-gap.",
    },
    footer = {
      "",
      "Exit codes: 0 done (or nothing to drop), 1 failed, 2 capture is running or bad input."
    })
final class TeardownCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--apply", description = "Drop the slot and publication listed.")
  boolean apply;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    Optional<SourceBinding> binding = Optional.empty();
    String journalId = null;
    Journal writer = null;
    try {
      if (Files.isRegularFile(cfg.journalDir().resolve("CURRENT"))) {
        // the journal's writer lock: no capture may start while its slot is dropped
        writer = Journal.openWriter(cfg.journalDir());
        binding = writer.binding();
        journalId = writer.id();
      }
      Teardown plan = Teardown.plan(cfg, binding, journalId);
      if (apply && plan.anythingToDrop()) {
        plan.apply(cfg);
      }
      print(plan);
      return Main.OK;
    } catch (JournalInUseException e) {
      throw new InputException(
          "capture is running on journal "
              + cfg.journalDir()
              + "; stop it (SIGTERM) first, then run teardown again");
    } finally {
      if (writer != null) {
        writer.close();
      }
    }
  }

  private void print(Teardown plan) {
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode doc = Json.NODES.objectNode();
      doc.put("applied", apply);
      var items = doc.putArray("items");
      for (Teardown.Item i : plan.items()) {
        ObjectNode n = items.addObject();
        n.put("kind", i.kind());
        n.put("name", i.name());
        n.put("exists", i.exists());
        n.put("drop", i.drop());
        n.put("dropped", apply && i.drop());
        n.put("detail", i.detail());
      }
      Json.print(out, doc);
      return;
    }
    for (Teardown.Item i : plan.items()) {
      String verb = !i.drop() ? "keep" : apply ? "dropped" : "drop";
      out.printf("%-8s %-12s %s: %s%n", verb, i.kind(), i.name(), i.detail());
    }
    if (!plan.anythingToDrop()) {
      out.println("nothing to drop");
    } else if (!apply) {
      out.println("run again with --apply to drop them");
    }
    out.flush();
  }
}
