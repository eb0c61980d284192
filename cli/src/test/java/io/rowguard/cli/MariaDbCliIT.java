package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.MariaDbExtension;
import io.rowguard.connectors.MariaDbFixture;
import io.rowguard.core.ValueFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident rowguard exists for, on MariaDB, through the command line: capture runs in a JVM of
 * its own as a least-privilege user, a test loader overwrites real orders while the shop keeps
 * writing during and after it, and the on-call engineer finds it ({@code history}, {@code audit})
 * and backs it out as a separate apply user; the shop's own writes stay.
 */
@ExtendWith(MariaDbExtension.class)
class MariaDbCliIT {
  static final String PW = "maria-pw-5d1a7";

  static MariaDbFixture db;

  @BeforeAll
  static void mariaDb(MariaDbFixture shared) {
    db = shared;
  }

  @TempDir Path dir;

  @Test
  void aTestLoadersOverwriteIsFoundAndBackedOutWhileTheShopKeepsWriting() throws Exception {
    db.exec(
        "CREATE TABLE shop.orders (id int PRIMARY KEY, customer varchar(20), total decimal(10,2),"
            + " note varchar(40))",
        "INSERT INTO shop.orders SELECT seq, CONCAT('c', seq), seq * 1.5, 'real' FROM"
            + " shop.seq_1_to_100");
    try (Connection c = db.connect()) {
      io.rowguard.client.Rowguard.createTagTable(c);
    }
    db.createCaptureUser("guard", PW);
    TestLogs.secret(PW);
    db.exec(
        "CREATE USER 'writer'@'%' IDENTIFIED BY '" + PW + "'",
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE TEMPORARY TABLES ON shop.* TO 'writer'@'%'");
    Map<String, String> props = db.configProperties(dir.resolve("journal"), "shop\\.orders", 77);
    props.put("source.database.user", "guard");
    props.put("source.database.password", PW);
    props.put("apply.user", "writer");
    props.put("apply.password", PW);
    Path config = Cli.writeConfig(dir.resolve("shop.properties"), props);

    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    try {
      awaitLog("Capturing");
      awaitJournaled(100); // the snapshot: capture has been guarding the shop since
      // the shop: orders 101.. come in, and real orders' notes change, all along
      AtomicBoolean open = new AtomicBoolean(true);
      AtomicInteger placed = new AtomicInteger(100);
      AtomicReference<Throwable> shopError = new AtomicReference<>();
      Thread shop =
          new Thread(
              () -> {
                try (Connection c = db.connect();
                    Statement s = c.createStatement()) {
                  c.setAutoCommit(false);
                  while (open.get()) {
                    int id = placed.incrementAndGet();
                    // the shop says who it is with the client helper: a rowguard_tag row
                    io.rowguard.client.Rowguard.tag(c, "checkout", null, "cart-" + id);
                    s.execute("INSERT INTO orders VALUES (" + id + ", 'new', 9.99, 'placed')");
                    s.execute("UPDATE orders SET note = 'shipped' WHERE id = " + (id - 90));
                    c.commit();
                    Thread.sleep(20);
                  }
                } catch (Throwable t) {
                  shopError.set(t);
                }
              });
      shop.start();
      Thread.sleep(500);
      String loader;
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        s.execute(
            "/* rowguard:{\"actor\":\"test-loader\",\"reason\":\"fixtures\"} */ UPDATE orders"
                + " SET customer = 'TEST', total = 0 WHERE id <= 50");
        try (ResultSet rs = s.executeQuery("SELECT @@last_gtid")) {
          rs.next();
          loader = rs.getString(1);
        }
      }
      Thread.sleep(800);
      open.set(false);
      shop.join();
      assertThat(shopError.get()).isNull();

      Cli.Result history =
          Cli.ok("history", "-c", config.toString(), "--table", "shop.orders", "--key", "7");
      assertThat(history.out()).contains(loader).contains("test-loader");
      Cli.Result audit = Cli.ok("audit", "-c", config.toString(), "--actor", "test-loader");
      assertThat(audit.out()).contains(loader);
      assertThat(Cli.ok("status", "-c", config.toString()).out()).contains("binlog at");
      Cli.Result shopAudit = Cli.ok("audit", "-c", config.toString(), "--actor", "checkout");
      assertThat(shopAudit.out()).contains("shop.orders").doesNotContain("rowguard_tag");

      // one second holds the loader and shop writes: a time inside it is refused, never guessed
      long loaderSecond = commitSecond(loader);
      Cli.Result vague =
          Cli.run(
              "rollback",
              "-c",
              config.toString(),
              "--table",
              "shop.orders",
              "--to",
              ValueFormat.instant(loaderSecond + 500_000));
      assertThat(vague.exit()).as(vague.err()).isEqualTo(2);
      assertThat(vague.err()).contains(loader).contains("--before-tx");

      Cli.Result dry = Cli.ok("backout", "-c", config.toString(), "--tx", loader);
      assertThat(dry.out()).contains("UPDATE `shop`.`orders` SET");
      Cli.Result applied = Cli.ok("backout", "-c", config.toString(), "--tx", loader, "--apply");
      assertThat(applied.out()).contains("50");
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT SUM(customer = 'TEST'), SUM(total = id * 1.5 AND id <= 100),"
                      + " SUM(id > 100), SUM(note = 'shipped') FROM shop.orders")) {
        rs.next();
        assertThat(rs.getInt(1)).as("loader's rows put back").isZero();
        assertThat(rs.getInt(2)).as("real totals").isEqualTo(100);
        assertThat(rs.getInt(3)).as("the shop's new orders kept").isEqualTo(placed.get() - 100);
        assertThat(rs.getInt(4)).as("the shop's later notes kept").isPositive();
      }
      Cli.ok("verify", "-c", config.toString());
    } finally {
      capture.destroy();
      capture.waitFor();
    }
    // a binlog source leaves nothing on the server
    assertThat(Cli.ok("teardown", "-c", config.toString()).out()).contains("nothing to drop");
  }

  private long commitSecond(String gtid) throws Exception {
    Cli.Result r = Cli.ok("audit", "-c", dir.resolve("shop.properties").toString(), "--json");
    int at = r.out().indexOf(gtid);
    assertThat(at).as(r.out()).isPositive();
    // the audit's commit time of the transaction: the last ISO time before its id
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\"(\\d{4}-\\d\\d-\\d\\dT[^\"]+Z)\"")
            .matcher(r.out().substring(0, at));
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    assertThat(last).isNotNull();
    return java.time.Instant.parse(last).toEpochMilli() * 1000L;
  }

  private void awaitJournaled(long n) throws Exception {
    Path journal = dir.resolve("journal");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(journal.resolve("CURRENT"))) {
        try (io.rowguard.journal.Journal j = io.rowguard.journal.Journal.openReader(journal)) {
          if (j.changeCount() >= n) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the snapshot was not journaled within 60 s");
  }

  private void awaitLog(String text) throws Exception {
    Path log = dir.resolve("capture.log");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.exists(log) && Files.readString(log).contains(text)) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("capture did not log '" + text + "': " + Files.readString(log));
  }
}
