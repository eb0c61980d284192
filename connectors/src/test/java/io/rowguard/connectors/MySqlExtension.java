package io.rowguard.connectors;

/**
 * One MySQL per test JVM ({@link MySqlFixture#start}), for the test classes that ask for a {@link
 * MySqlFixture}. Where no MySQL can run, the asking tests are skipped, saying what to run.
 */
public final class MySqlExtension extends SharedServerExtension<MySqlFixture> {
  public MySqlExtension() {
    super(MySqlFixture.class, MySqlFixture::start);
  }
}
