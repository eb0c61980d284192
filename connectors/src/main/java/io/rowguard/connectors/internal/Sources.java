package io.rowguard.connectors.internal;

import io.rowguard.connectors.internal.mysql.BinlogSource;
import io.rowguard.connectors.internal.postgres.PostgresSource;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;

/** The one place that maps {@code source.connector} to its {@link Source}. */
final class Sources {
  private Sources() {}

  static Source of(RowguardConfig config) {
    return switch (config.connector()) {
      case POSTGRES -> new PostgresSource(config);
      case MARIADB -> new BinlogSource(config);
      case MYSQL ->
          // BinlogSource reads MySQL too, but Debezium's MySQL connector is not bundled and MySQL
          // is untested here: every command that reaches the source refuses it alike
          throw new InputException(
              "config "
                  + config.file()
                  + ": source.connector=mysql is not supported by this build of rowguard yet (its"
                  + " Debezium connector is not bundled, and MySQL is untested); MariaDB is:"
                  + " source.connector=mariadb");
    };
  }
}
