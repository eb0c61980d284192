package io.rowguard.core;

import java.util.Locale;

/** The databases rowguard captures from. */
public enum ConnectorKind {
  POSTGRES("postgres", 5432),
  MYSQL("mysql", 3306),
  MARIADB("mariadb", 3306);

  private final String configName;
  private final int defaultPort;

  ConnectorKind(String configName, int defaultPort) {
    this.configName = configName;
    this.defaultPort = defaultPort;
  }

  public String configName() {
    return configName;
  }

  public int defaultPort() {
    return defaultPort;
  }

  public static ConnectorKind parse(String value) {
    for (ConnectorKind k : values()) {
      if (k.configName.equals(value.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException(value);
  }
}
