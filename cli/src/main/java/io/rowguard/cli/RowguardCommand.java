package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

@Command(
    name = "rowguard",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Journals every committed row change of a database from its write-ahead log, so that any"
          + " row can be traced and put back.",
      ""
    },
    subcommands = {
      DemoCommand.class,
      CaptureCommand.class,
      StatusCommand.class,
      HistoryCommand.class,
      RollbackCommand.class,
      BackoutCommand.class,
      ExportCommand.class,
      AuditCommand.class,
      IncidentsCommand.class,
      BlastRadiusCommand.class,
      VerifyCommand.class,
      MirrorCommand.class,
      ServeCommand.class,
      BackupCommand.class,
      BackupsCommand.class,
      RestoreCommand.class,
      TeardownCommand.class,
      picocli.CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Start with `rowguard demo`. Each command takes -c FILE, the properties file of one guarded"
          + " database; see `rowguard capture --help` for its keys.",
      "Exit codes: 0 done, 1 failed, 2 bad usage or input, 3 conflicts."
    })
public final class RowguardCommand implements Runnable {

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Log more, and show stack traces of errors.")
  void setVerbose(boolean verbose) {
    Logging.setVerbose(verbose);
  }

  /** How log lines are written to stderr. */
  enum LogFormat {
    TEXT,
    JSON
  }

  @Option(
      names = "--log-format",
      scope = ScopeType.INHERIT,
      paramLabel = "text|json",
      description =
          "Log lines as text (the default) or as JSON, one object a line in the Elastic Common"
              + " Schema, for log shippers. Results stay on stdout either way.")
  void setLogFormat(LogFormat format) {
    if (format == LogFormat.JSON) {
      Logging.json();
    }
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
