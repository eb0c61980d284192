package io.rowguard.cli;

import io.rowguard.cli.internal.HistoryView;
import io.rowguard.client.Rowguard;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.LocalMariaDb;
import io.rowguard.core.InputException;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.SqlDialect;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code rowguard demo --db mariadb}: the demo's shop, workload, bad deploy and backout on a
 * private MariaDB server started from the machine's own {@code mariadbd}, captured from its binlog.
 */
final class MariaDbDemo {
  private static final TableId ORDERS = TableId.of("shop", "orders");

  private final DemoCommand demo;
  private final PrintWriter out;

  MariaDbDemo(DemoCommand demo, PrintWriter out) {
    this.demo = demo;
    this.out = out;
  }

  int run() throws Exception {
    if (LocalMariaDb.binaries().isEmpty()) {
      throw new InputException(
          "rowguard demo --db mariadb runs a private MariaDB from this machine's mariadbd, which"
              + " is not installed (apt-get install mariadb-server); `rowguard demo` needs"
              + " nothing installed");
    }
    long started = System.nanoTime();
    Path work = Files.createTempDirectory("rowguard-demo-");
    out.println("rowguard demo: a shop database on MariaDB, its journal, and a bad deploy undone");
    out.println();
    try (LocalMariaDb db = LocalMariaDb.start()) {
      out.println(
          "1. Started a private MariaDB on 127.0.0.1:"
              + db.port()
              + " (binlog_format=ROW, binlog_row_image=FULL).");
      try (Connection c = db.connect("")) {
        createShop(c);
      }
      out.println(
          "2. Created the shop: customers and orders (a foreign key between them), 20 customers"
              + " and 50 orders, and the empty rowguard_tag table the client helper tags with.");
      RowguardConfig config = writeConfig(work, db.port());
      out.println("3. Config " + config.file() + ":");
      Files.readAllLines(config.file()).forEach(l -> out.println("     " + l));
      out.flush();
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        if (!capture.awaitReady(Duration.ofSeconds(60))) {
          throw capture.failure().isPresent()
              ? capture.failure().get()
              : new IllegalStateException("the capture did not take its snapshot in 60 s");
        }
        out.println(
            "4. Capture started (Debezium Embedded reading the binlog as a replica); the snapshot"
                + " journals the 70 existing rows.");
        long changes;
        try (Connection c = db.connect("shop")) {
          changes = demo.runWorkload(c, new Random(demo.seed));
        }
        long expected = 70 + changes;
        DemoCommand.awaitJournal(journal, capture, expected);
        out.printf(
            "5. Workload: %d orders placed, paid, shipped or cancelled, each transaction tagged"
                + " with Rowguard.tag: %d row changes journaled.%n",
            demo.orders, changes);
        out.println();
        RowKey key = RowKey.parse("7", journal.latestSchema(ORDERS).orElseThrow());
        out.println("6. $ rowguard history -c " + config.file() + " --table shop.orders --key 7");
        HistoryView.printText(out, ORDERS, key, journal.history(ORDERS, key), journal::attribution);
        badDeployAndBackout(db, config, journal, capture, expected);
      }
      out.println();
      out.printf(
          "Done in %.1f s. The MariaDB server the demo started is stopped and its files are"
              + " deleted.%n",
          (System.nanoTime() - started) / 1e9);
      out.flush();
    } finally {
      DemoCommand.deleteRecursively(work);
    }
    return Main.OK;
  }

  private void badDeployAndBackout(
      LocalMariaDb db, RowguardConfig config, Journal journal, Capture capture, long journaled)
      throws Exception {
    List<String> before = orders(db);
    String badTx;
    int changed;
    try (Connection c = db.connect("shop");
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      changed =
          s.executeUpdate(
              "UPDATE orders SET status = 'cancelled', amount = 0, note = 'loader test data'"
                  + " WHERE id % 3 = 0");
      changed += s.executeUpdate("DELETE FROM orders WHERE id % 17 = 1");
      c.commit();
      try (ResultSet rs = s.executeQuery("SELECT @@last_gtid")) {
        rs.next();
        badTx = rs.getString(1);
      }
    }
    DemoCommand.awaitJournal(journal, capture, journaled + changed);
    out.println();
    out.printf(
        "7. A bad deploy overwrote and deleted %d orders in transaction %s (its GTID), without"
            + " saying who it was. Order 9's history:%n",
        changed, badTx);
    RowKey nine = RowKey.parse("9", journal.latestSchema(ORDERS).orElseThrow());
    HistoryView.printText(out, ORDERS, nine, journal.history(ORDERS, nine), journal::attribution);
    out.println();
    DemoCommand.backoutAndVerify(
        out,
        8,
        config,
        journal,
        capture,
        badTx,
        journaled + changed,
        SqlDialect.MYSQL,
        "every column's bytes",
        before,
        () -> orders(db));
  }

  private static List<String> orders(LocalMariaDb db) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connect("shop");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT CONCAT_WS('|', id, customer_id, HEX(status), amount, HEX(note),"
                    + " updated_at) FROM orders ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  private static void createShop(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      // as the user guide advises: zero dates refused, so none can reach the journal as NULL
      s.execute(
          "SET GLOBAL sql_mode ="
              + " CONCAT(@@GLOBAL.sql_mode, ',STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE')");
      s.execute("CREATE DATABASE shop");
      s.execute("USE shop");
      s.execute(
          "CREATE TABLE customers (id int AUTO_INCREMENT PRIMARY KEY, name varchar(40) NOT NULL,"
              + " email varchar(80))");
      s.execute(
          "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer_id int NOT NULL,"
              + " status varchar(20) NOT NULL, amount decimal(10,2)"
              + " NOT NULL, note varchar(200), updated_at datetime(6) NOT NULL DEFAULT"
              + " CURRENT_TIMESTAMP(6), FOREIGN KEY (customer_id) REFERENCES customers (id))");
      Rowguard.createTagTable(c);
      s.execute(
          "INSERT INTO customers (name, email) SELECT CONCAT('customer ', seq), CONCAT('c', seq,"
              + " '@example.com') FROM seq_1_to_20");
      s.execute(
          "INSERT INTO orders (customer_id, status, amount) SELECT 1 + seq % 20, 'new',"
              + " ROUND(10 + seq * 1.37, 2) FROM seq_1_to_50");
    }
  }

  private static RowguardConfig writeConfig(Path work, int port) throws java.io.IOException {
    Path file = work.resolve("shop.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "source.connector=mariadb",
            "source.database.hostname=127.0.0.1",
            "source.database.port=" + port,
            "source.database.user=root",
            "source.database.password=${env:ROWGUARD_DEMO_PASSWORD}",
            "source.database.include.list=shop",
            "source.table.include.list=shop\\\\.customers,shop\\\\.orders",
            "journal.dir=" + work.resolve("journal"),
            ""));
    return RowguardConfig.load(
        file, name -> name.equals("ROWGUARD_DEMO_PASSWORD") ? "" : System.getenv(name));
  }
}
