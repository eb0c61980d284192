package io.rowguard.connectors.internal;

import io.rowguard.connectors.internal.kafka.KafkaSource;
import io.rowguard.connectors.internal.mirror.SourceBlock;
import io.rowguard.connectors.internal.mysql.BinlogSource;
import io.rowguard.connectors.internal.mysql.BinlogSourceBlock;
import io.rowguard.connectors.internal.postgres.PostgresSource;
import io.rowguard.connectors.internal.postgres.PostgresSourceBlock;
import io.rowguard.core.ConnectorKind;
import io.rowguard.core.RowguardConfig;

/** The one place that maps {@code source.connector} to its {@link Source}. */
public final class Sources {
  private Sources() {}

  static Source of(RowguardConfig config) {
    Source database = database(config);
    return config.fromKafka() ? new KafkaSource(config, database) : database;
  }

  private static Source database(RowguardConfig config) {
    return switch (config.connector()) {
      case POSTGRES -> new PostgresSource(config);
      case MYSQL, MARIADB -> new BinlogSource(config);
    };
  }

  /** The {@code source} block the mirror writes, as this database's Debezium connector does. */
  public static SourceBlock sourceBlock(RowguardConfig config) {
    String name = config.mirror().topicPrefix();
    return switch (config.connector()) {
      case POSTGRES -> new PostgresSourceBlock(name, config.database());
      case MYSQL, MARIADB ->
          new BinlogSourceBlock(config.connector() == ConnectorKind.MARIADB, name);
    };
  }
}
