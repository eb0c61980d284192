package io.rowguard.cli;

import io.rowguard.cli.internal.BackupView;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.journal.BackupInfo;
import io.rowguard.journal.JournalBackups;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "backups",
    mixinStandardHelpOptions = true,
    description = {"List the journal backups in a directory, oldest first."},
    footer = {
      "",
      "Example:",
      "  rowguard backups -c shop.properties --from /backups/rowguard-shop"
    })
final class BackupsCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "DIR",
      description = "The backup directory.")
  Path from;

  @Option(names = "--json", description = "Print one JSON document instead of a table.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Logging.quiet();
    config.load();
    List<BackupInfo> backups = JournalBackups.list(from);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      var doc = Json.NODES.objectNode();
      doc.put("directory", from.toAbsolutePath().toString());
      var list = doc.putArray("backups");
      backups.forEach(b -> list.add(BackupView.json(b)));
      Json.print(out, doc);
    } else if (backups.isEmpty()) {
      out.println("no backups in " + from);
    } else {
      BackupView.printTable(out, backups);
    }
    out.flush();
    return Main.OK;
  }
}
