package io.rowguard.cli;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Mirror;
import io.rowguard.journal.Journal;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: rowguard's, and those of the engine, the storage, Kafka's client and Java. */
final class VersionProvider implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {
      "rowguard " + (v == null ? "development build" : v),
      "Debezium " + Capture.debeziumVersion(),
      "RocksDB " + Journal.rocksDbVersion(),
      "Kafka client " + Mirror.kafkaVersion(),
      "Java "
          + Runtime.version()
          + " ("
          + System.getProperty("java.vendor")
          + ", "
          + System.getProperty("java.vm.name")
          + ") on "
          + System.getProperty("os.name")
          + " "
          + System.getProperty("os.arch")
    };
  }
}
