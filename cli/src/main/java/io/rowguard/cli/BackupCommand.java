package io.rowguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.cli.internal.BackupView;
import io.rowguard.cli.internal.Control;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import io.rowguard.journal.BackupInfo;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalBackups;
import io.rowguard.journal.JournalInUseException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "backup",
    mixinStandardHelpOptions = true,
    description = {
      "Back the journal up into a directory, consistently, also while capture runs (the running"
          + " capture takes it). The first backup into a directory copies everything, later ones"
          + " only what is new. List them with `rowguard backups`, restore with `rowguard"
          + " restore`.",
    },
    footer = {"", "Example:", "  rowguard backup -c shop.properties --to /backups/rowguard-shop"})
final class BackupCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--to",
      required = true,
      paramLabel = "DIR",
      description = "The backup directory (created owner-only if missing).")
  Path to;

  @Option(names = "--json", description = "Print one JSON document instead of text.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    Path journalDir = cfg.journalDir();
    Journal.checkReadable(journalDir);
    Path target = to.toAbsolutePath().normalize();
    if (target.startsWith(journalDir.toAbsolutePath().normalize())) {
      throw new InputException("--to " + to + " is inside the journal directory; pick another");
    }
    BackupInfo info = viaCapture(journalDir, target).orElseGet(() -> directly(journalDir, target));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Json.print(out, BackupView.json(info));
    } else {
      out.printf(
          "backup %d of %s in %s: %,d changes up to entry %d, %s in %d files%n",
          info.id(),
          journalDir,
          target,
          info.changes(),
          info.lastSeq(),
          io.rowguard.cli.internal.Bytes.format(info.sizeBytes()),
          info.files());
      out.flush();
    }
    return Main.OK;
  }

  /** Asks the running capture to take the backup; empty when no capture runs. */
  private static Optional<BackupInfo> viaCapture(Path journalDir, Path target) throws IOException {
    ObjectNode request = Json.NODES.objectNode();
    request.put("command", "backup");
    request.put("to", target.toString());
    Optional<JsonNode> reply = Control.call(journalDir, request);
    if (reply.isEmpty()) {
      return Optional.empty();
    }
    if (!reply.get().path("ok").asBoolean()) {
      throw new RowguardException(
          "the running capture could not back up: " + reply.get().path("error").asText());
    }
    return Optional.of(BackupView.fromJson(reply.get().path("backup")));
  }

  private static BackupInfo directly(Path journalDir, Path target) {
    try (Journal journal = Journal.openWriter(journalDir)) {
      return JournalBackups.backup(journal, target);
    } catch (JournalInUseException e) {
      throw new RowguardException(
          "journal "
              + journalDir
              + " is held by a running capture that does not answer on "
              + Control.socketPath(journalDir)
              + "; stop it, or restart it with this version of rowguard");
    }
  }
}
