package io.rowguard.cli;

import io.rowguard.core.RowguardConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The -c FILE option every database command takes. */
final class ConfigOption {
  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description = "The guarded database's properties file (source.*, journal.dir).")
  Path file;

  RowguardConfig load() {
    return RowguardConfig.load(file);
  }
}
