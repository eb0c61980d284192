package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.TableResolver;
import io.rowguard.cli.internal.Times;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.replay.Exporter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description = {
      "Write a table's contents as they were at an earlier moment, from the journal alone (the"
          + " database is not touched). Values are PostgreSQL's text forms, so sql and csv load"
          + " back exactly."
    },
    footer = {
      "",
      "Example:",
      "  rowguard export -c shop.properties --table orders --as-of 2026-11-23T10:00:00Z --format csv --output orders.csv",
    })
final class ExportCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--table", required = true, paramLabel = "T", description = "The table.")
  String table;

  @Option(
      names = "--as-of",
      required = true,
      paramLabel = "TS",
      description = "ISO-8601 with an offset or Z.")
  String asOf;

  @Option(
      names = "--format",
      defaultValue = "csv",
      paramLabel = "FORMAT",
      description =
          "csv (with a header; NULL is empty, an empty string is \"\"), jsonl or sql"
              + " (INSERT statements). Default: ${DEFAULT-VALUE}.")
  String format;

  @Option(
      names = "--output",
      paramLabel = "FILE",
      description = "Write to FILE (atomically: complete or not at all) instead of stdout.")
  Path output;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() throws IOException {
    Logging.quiet();
    Exporter.Format fmt;
    try {
      fmt = Exporter.Format.parse(format);
    } catch (IllegalArgumentException e) {
      throw new InputException("bad --format '" + format + "': use csv, jsonl or sql");
    }
    long micros = Times.parseMicros(asOf, "--as-of");
    RowguardConfig cfg = config.load();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      TableId id = TableResolver.resolve(table, journal.tables());
      Exporter exporter = new Exporter(journal, clock, PlanOptions.dialect(cfg));
      if (output == null) {
        exporter.export(id, micros, fmt, spec.commandLine().getOut());
        return Main.OK;
      }
      Path target = output.toAbsolutePath();
      Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
      try {
        long rows;
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
          rows = exporter.export(id, micros, fmt, w);
        }
        try (var ch =
            java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        spec.commandLine()
            .getErr()
            .printf("wrote %d rows of %s as of %s to %s%n", rows, id, asOf, target);
        spec.commandLine().getErr().flush();
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    return Main.OK;
  }
}
