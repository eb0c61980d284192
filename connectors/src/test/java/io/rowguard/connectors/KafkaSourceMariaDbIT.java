package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal built from the topics of Debezium's MariaDB connector equals the one rowguard's own
 * binlog capture builds from the same server: binlog positions, GTIDs as transaction ids, and
 * transactions over two tables from two connections at once.
 */
@ExtendWith({MariaDbExtension.class, KafkaExtension.class})
class KafkaSourceMariaDbIT {
  static MariaDbFixture db;
  static KafkaBroker kafka;

  @BeforeAll
  static void start(MariaDbFixture fixture, KafkaBroker broker) {
    db = fixture;
    kafka = broker;
  }

  @TempDir Path dir;

  @Test
  void aJournalBuiltFromMariaDbTopicsEqualsTheCapturedOne() throws Exception {
    db.exec(
        "CREATE TABLE shop.km_customers (id int PRIMARY KEY, name varchar(40), since datetime(6))",
        "CREATE TABLE shop.km_orders (id int PRIMARY KEY, customer int, amount decimal(10,2),"
            + " note text, flag boolean)",
        "INSERT INTO shop.km_customers VALUES (1, 'a', '2026-01-01 10:00:00.123456'),"
            + " (2, 'b', NULL)");
    String tables = MariaDbFixture.DATABASE + ".km_.*";
    Map<String, String> direct = db.configProperties(dir.resolve("direct"), tables, 5401);
    RowguardConfig directConfig = RowguardConfig.of(dir.resolve("d.properties"), direct, e -> null);
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "kafka");
    p.put("source.bootstrap.servers", kafka.bootstrapServers());
    p.put("source.topics.regex", "km\\.shop\\.km_.*");
    p.put("source.transaction.topic", "km.transaction");
    p.put("apply.url", "jdbc:mariadb://127.0.0.1:" + db.port() + "/" + MariaDbFixture.DATABASE);
    p.put("apply.user", "root");
    p.put("journal.dir", dir.resolve("fromkafka").toString());
    RowguardConfig fromKafka = RowguardConfig.of(dir.resolve("k.properties"), p, e -> null);
    try (Journal a = Journal.openWriter(directConfig.journalDir());
        Capture capture = Capture.start(directConfig, a);
        DebeziumToKafka debezium =
            DebeziumToKafka.mariadb(db, kafka.bootstrapServers(), "km", tables, 5402)) {
      assertThat(capture.awaitReady(java.time.Duration.ofSeconds(60))).isTrue();
      debezium.awaitQuiet();
      Thread w1 = writer(1);
      Thread w2 = writer(2);
      w1.join();
      w2.join();
      JournalAwait.caughtUp(directConfig, a);
      debezium.awaitQuiet();
      try (Journal b = Journal.openWriter(fromKafka.journalDir());
          Capture ingest = Capture.start(fromKafka, b)) {
        long want = JournalChecks.streamed(a).size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (JournalChecks.streamed(b).size() < want
            && ingest.failure().isEmpty()
            && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        Thread.sleep(1000);
        assertThat(ingest.failure()).isEmpty();
        JournalChecks.sameChanges(JournalChecks.streamed(a), JournalChecks.streamed(b));
        assertThat(b.openGaps()).isEmpty();
      }
    }
  }

  private static Thread writer(int n) {
    Thread t =
        new Thread(
            () -> {
              try (Connection c = db.connect();
                  Statement s = c.createStatement()) {
                s.execute("USE " + MariaDbFixture.DATABASE);
                c.setAutoCommit(false);
                for (int i = 0; i < 40; i++) {
                  int id = 1000 * n + i;
                  s.execute(
                      "INSERT INTO km_orders VALUES ("
                          + id
                          + ", "
                          + n
                          + ", "
                          + i
                          + ".25, NULL, true)");
                  s.execute("UPDATE km_customers SET name = CONCAT(name, '+') WHERE id = " + n);
                  if (i % 4 == 3) {
                    s.execute("DELETE FROM km_orders WHERE id = " + (id - 1));
                  }
                  c.commit();
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            });
    t.start();
    return t;
  }
}
