package io.rowguard.connectors.internal;

import io.rowguard.connectors.internal.mysql.BinlogSource;
import io.rowguard.connectors.internal.postgres.PostgresSource;
import io.rowguard.core.RowguardConfig;

/** The one place that maps {@code source.connector} to its {@link Source}. */
final class Sources {
  private Sources() {}

  static Source of(RowguardConfig config) {
    return switch (config.connector()) {
      case POSTGRES -> new PostgresSource(config);
      case MYSQL, MARIADB -> new BinlogSource(config);
    };
  }
}
