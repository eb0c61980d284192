package io.rowguard.connectors;

/**
 * One private MariaDB per test JVM ({@link MariaDbFixture#start}), for the test classes that ask
 * for a {@link MariaDbFixture}. Where {@code mariadbd} is not installed, the asking tests are
 * skipped, saying what to install.
 */
public final class MariaDbExtension extends SharedServerExtension<MariaDbFixture> {
  public MariaDbExtension() {
    super(MariaDbFixture.class, MariaDbFixture::start);
  }
}
