package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.client.Rowguard;
import io.rowguard.connectors.PostgresFixture;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A shop on embedded PostgreSQL (customers, and orders that reference them) guarded by a real
 * {@code capture} in a JVM of its own that serves the API ({@code serve.enabled=true}).
 */
final class ServedShop implements AutoCloseable {
  final PostgresFixture pg;
  final Path dir;
  final Path config;
  final Process capture;
  final String base;
  final String token;
  final String metricsToken;
  private final AtomicBoolean trafficRuns = new AtomicBoolean();
  private Thread traffic;

  private ServedShop(
      PostgresFixture pg,
      Path dir,
      Path config,
      Process capture,
      String base,
      String token,
      String metricsToken) {
    this.pg = pg;
    this.dir = dir;
    this.config = config;
    this.capture = capture;
    this.base = base;
    this.token = token;
    this.metricsToken = metricsToken;
  }

  /** The capture user: REPLICATION, owns the shop's tables (so it makes its publication). */
  static final String GUARD_PW = "shop-guard-pw-94b2e";

  /** The user rollbacks write as ({@code apply.user}): SELECT, INSERT, UPDATE, DELETE only. */
  static final String WRITER_PW = "shop-writer-pw-1f7c3";

  /**
   * Starts the shop and its capture. Capture and the API run as least-privilege users; the shop's
   * own traffic (and its bad loader) writes as the database owner.
   */
  static ServedShop start(Path dir) throws Exception {
    PostgresFixture pg = PostgresFixture.start();
    TestLogs.secret(GUARD_PW, WRITER_PW);
    pg.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES"
            + " customers(id), total numeric(10,2) NOT NULL, status text NOT NULL)",
        "ALTER TABLE customers REPLICA IDENTITY FULL",
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 20) g",
        "INSERT INTO orders SELECT g, 1 + g % 20, g * 1.5, 'paid' FROM generate_series(1, 200) g",
        "CREATE ROLE shop_guard LOGIN REPLICATION PASSWORD '" + GUARD_PW + "'",
        "GRANT CREATE ON DATABASE " + pg.database() + " TO shop_guard",
        "ALTER TABLE customers OWNER TO shop_guard",
        "ALTER TABLE orders OWNER TO shop_guard",
        "CREATE ROLE shop_writer LOGIN PASSWORD '" + WRITER_PW + "'",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON customers, orders TO shop_writer");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> props =
        pg.configProperties(dir.resolve("journal"), "public.customers,public.orders", "serve");
    props.put("source.database.user", "shop_guard");
    props.put("source.database.password", GUARD_PW);
    props.put("apply.user", "shop_writer");
    props.put("apply.password", WRITER_PW);
    props.put("serve.enabled", "true");
    props.put("serve.listen", "127.0.0.1:" + port);
    props.put("serve.ready-max-lag", "20s");
    Path config = Cli.writeConfig(dir.resolve("shop.properties"), props);
    Path log = dir.resolve("capture.log");
    Process capture = Cli.startCapture(config, log);
    Path tokenFile = dir.resolve("journal").resolve("serve.token");
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!Files.exists(tokenFile) || !listening(port)) {
      assertThat(System.nanoTime()).as(Files.readString(log)).isLessThan(deadline);
      assertThat(capture.isAlive()).as(Files.readString(log)).isTrue();
      Thread.sleep(100);
    }
    ServedShop shop =
        new ServedShop(
            pg,
            dir,
            config,
            capture,
            "http://127.0.0.1:" + port,
            Files.readString(tokenFile).strip(),
            Files.readString(dir.resolve("journal").resolve("metrics.token")).strip());
    TestLogs.secret(shop.token, shop.metricsToken);
    OperationsIT.awaitEntries(config, 220);
    return shop;
  }

  private static boolean listening(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  /** Production traffic: a new order every 20 ms, until {@link #close}. */
  void startTraffic() {
    trafficRuns.set(true);
    traffic =
        new Thread(
            () -> {
              int i = 1000;
              try (Connection c = pg.connect()) {
                while (trafficRuns.get()) {
                  try (Statement s = c.createStatement()) {
                    s.execute("INSERT INTO orders VALUES (" + i++ + ", 3, 9.99, 'paid')");
                  }
                  Thread.sleep(20);
                }
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            },
            "traffic");
    traffic.start();
  }

  void stopTraffic() throws InterruptedException {
    trafficRuns.set(false);
    if (traffic != null) {
      traffic.join();
    }
  }

  /** The bad write: a test loader, tagged, overwrites orders 101 to 150. */
  void testLoaderOverwritesOrders() throws Exception {
    try (Connection c = pg.connect()) {
      c.setAutoCommit(false);
      Rowguard.tag(c, "test-loader", "fixtures", null);
      try (Statement s = c.createStatement()) {
        s.execute("UPDATE orders SET total = 0, status = 'test' WHERE id BETWEEN 101 AND 150");
      }
      c.commit();
    }
  }

  String log() {
    try {
      return Files.readString(dir.resolve("capture.log"));
    } catch (java.io.IOException e) {
      return "";
    }
  }

  @Override
  public void close() throws Exception {
    stopTraffic();
    capture.destroy();
    capture.waitFor();
    pg.close();
  }
}
