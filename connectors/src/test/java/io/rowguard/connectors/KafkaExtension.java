package io.rowguard.connectors;

/**
 * One real single-node KRaft Kafka per test JVM ({@link KafkaBroker#start}), for the test classes
 * that ask for a {@link KafkaBroker}. Each class keeps to topics of its own prefix.
 */
public final class KafkaExtension extends SharedServerExtension<KafkaBroker> {
  public KafkaExtension() {
    super(
        KafkaBroker.class,
        () -> {
          try {
            return KafkaBroker.start();
          } catch (Exception e) {
            throw new IllegalStateException("could not start a Kafka broker for the tests", e);
          }
        });
  }
}
