package io.rowguard.cli;

import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.JournalBackups;
import io.rowguard.journal.RestoreResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "restore",
    mixinStandardHelpOptions = true,
    description = {
      "Put a backup in place of the journal (capture must be stopped). The backup is restored"
          + " beside the journal and verified first; only then is the current journal moved aside"
          + " (kept as <journal.dir>.before-restore-<time>; delete it when satisfied) and the"
          + " restored one put in its place.",
      "",
      "The next capture resumes from the restored point. Changes the database committed after"
          + " the backup are journaled again if the replication slot still holds them; if the"
          + " slot has moved past them, capture refuses to start and explains the gap (start it"
          + " with --accept-gap to go on without them).",
    },
    footer = {
      "",
      "Example:",
      "  rowguard restore -c shop.properties --from /backups/rowguard-shop --backup-id 3"
    })
final class RestoreCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "DIR",
      description = "The backup directory.")
  Path from;

  @Option(
      names = "--backup-id",
      paramLabel = "N",
      description = "Which backup (default: the newest; see `rowguard backups`).")
  Integer backupId;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() {
    Logging.quiet();
    if (backupId != null && backupId < 1) {
      throw new InputException("bad --backup-id " + backupId + ": backup ids start at 1");
    }
    RowguardConfig cfg = config.load();
    RestoreResult r =
        JournalBackups.restore(
            from,
            backupId == null ? OptionalInt.empty() : OptionalInt.of(backupId),
            cfg.journalDir(),
            clock);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      var doc = Json.NODES.objectNode();
      doc.put("backupId", r.backupId());
      doc.put("journal", r.journalDir().toString());
      doc.put("previous", r.previous().map(Path::toString).orElse(null));
      doc.put("entries", r.verified().records());
      doc.put("changes", r.verified().changes());
      doc.put("headSeq", r.verified().headSeq());
      doc.put("headHash", r.verified().headHash());
      Json.print(out, doc);
      return Main.OK;
    }
    out.printf(
        "restored backup %d into %s: %,d changes, verified (head: entry %d, hash %s)%n",
        r.backupId(),
        r.journalDir(),
        r.verified().changes(),
        r.verified().headSeq(),
        r.verified().headHash());
    r.previous()
        .ifPresent(
            p ->
                out.println(
                    "the journal that was there is kept at " + p + "; delete it when satisfied"));
    out.println("next: rowguard capture -c " + config.file + " resumes from the restored point");
    out.flush();
    return Main.OK;
  }
}
