package io.rowguard.cli;

import static io.rowguard.cli.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The incident rowguard exists for, reproduced on a real PostgreSQL: a test loader pointed at
 * production runs three transactions (a test customer and 100 orders re-pointed at it; 60 test
 * orders with items; 40 real items deleted) while the shop keeps writing to the same tables, during
 * and after the loader, on other and on the same columns of the damaged rows, and deleting some.
 * One backout of the three transactions must take out exactly the loader's work and keep every
 * later change; refusing it must write nothing and name the conflicting cells.
 *
 * <p>The loader saves each row's image under lock, inside its own transaction, into a table capture
 * does not read: that is the oracle, independent of the journal.
 */
@ExtendWith(PostgresExtension.class)
class IncidentRepairIT {
  static final long SEED = 0x5EED_13L;
  static final int ORDERS = 300;
  static final int TEST_CUSTOMER = 9999;

  static PostgresFixture pg;

  @BeforeAll
  static void start(PostgresFixture fixture) throws Exception {
    pg = fixture;
    pg.exec(
        "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text)",
        "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,"
            + " status text NOT NULL, amount numeric(10,2) NOT NULL, notes text)",
        "CREATE TABLE items (order_id int REFERENCES orders, line int, sku text NOT NULL,"
            + " qty int NOT NULL, PRIMARY KEY (order_id, line))",
        "CREATE TABLE pre_images (tbl text, k text, img text)",
        "ALTER TABLE customers REPLICA IDENTITY FULL",
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        "ALTER TABLE items REPLICA IDENTITY FULL",
        "INSERT INTO customers SELECT g, 'customer ' || g, 'c' || g || '@shop.example'"
            + " FROM generate_series(1, 20) g",
        "INSERT INTO orders SELECT g, 1 + g % 20, 'new', 10 + g, NULL"
            + " FROM generate_series(1, "
            + ORDERS
            + ") g",
        "INSERT INTO items SELECT o, l, 'sku-' || o || '-' || l, l"
            + " FROM generate_series(1, "
            + ORDERS
            + ") o, generate_series(1, 2) l");
  }

  @TempDir Path dir;

  /** What the shop's writer did, in order: enough to know each row's expected end state. */
  static final class WriterLog {
    final Map<Integer, String> lastStatus = new HashMap<>();
    final Map<Integer, String> lastAmount = new HashMap<>();
    final Set<Integer> deleted = new HashSet<>();
    final Set<Integer> inserted = new HashSet<>();
    final Set<Integer> touched = new HashSet<>();
    int transactions;
  }

  @Test
  void oneBackoutOfTheLoaderKeepsEveryLaterChange() throws Exception {
    Map<String, String> props =
        pg.configProperties(
            dir.resolve("journal"), "public.customers,public.orders,public.items", "shop");
    Path file = Cli.writeConfig(dir.resolve("shop.properties"), props);
    String c = file.toString();
    RowguardConfig config = RowguardConfig.load(file);

    WriterLog log = new WriterLog();
    List<String> loader = new ArrayList<>();
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);

      AtomicBoolean loaderDone = new AtomicBoolean();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicReference<Throwable> failed = new AtomicReference<>();
      Thread writer =
          new Thread(
              () -> {
                try {
                  shop(new Random(SEED), log, loaderDone, stop);
                } catch (Throwable t) {
                  failed.set(t);
                }
              },
              "shop-writer");
      writer.start();
      Thread.sleep(300);
      try (Connection l = pg.connect()) {
        l.setAutoCommit(false);
        loader.add(repointOrders(l));
        loader.add(insertTestOrders(l));
        loader.add(deleteItems(l));
      }
      loaderDone.set(true);
      Thread.sleep(1500);
      stop.set(true);
      writer.join();
      assertThat(failed.get()).as("the shop's writer").isNull();
      assertThat(log.transactions).as("the shop kept writing").isGreaterThan(20);

      List<String> backout = new ArrayList<>(List.of("backout", "-c", c));
      loader.forEach(tx -> backout.addAll(List.of("--tx", tx)));

      // refused: nothing written, and the conflicting cells are named
      String before = dump();
      List<String> refused = new ArrayList<>(backout);
      refused.add("--apply");
      Cli.Result abort = run(refused.toArray(String[]::new));
      assertThat(abort.exit()).as(abort.out() + abort.err()).isEqualTo(3);
      assertThat(abort.out()).contains("conflict").contains("amount");
      assertThat(dump()).as("an aborted backout writes nothing").isEqualTo(before);

      List<String> skip = new ArrayList<>(backout);
      skip.addAll(List.of("--on-conflict", "skip", "--apply", "--operator", "oncall"));
      Cli.Result applied = run(skip.toArray(String[]::new));
      assertThat(applied.exit()).as(applied.out() + applied.err()).isZero();
      assertThat(applied.out()).contains("transactions whose work it undoes (3)");

      checkRepaired(log);

      // a second run, keeping the later work again, has nothing left to do
      List<String> twice = new ArrayList<>(backout);
      twice.addAll(List.of("--on-conflict", "skip"));
      Cli.Result again = run(twice.toArray(String[]::new));
      assertThat(again.out())
          .as(again.err())
          .contains("0 row(s) to update, 0 to insert, 0 to delete");

      // the journal knows the loader was undone, and incidents stops suggesting it
      Cli.Result incidents = run("incidents", "-c", c, "--since", "1h");
      assertThat(incidents.exit()).as(incidents.err()).isZero();
      assertThat(incidents.out()).contains("backed out by").contains("by oncall");
      for (String tx : loader) {
        assertThat(incidents.out()).doesNotContain("backout -c " + c + " --tx " + tx);
      }
      Cli.Result history =
          run(
              "history",
              "-c",
              c,
              "--table",
              "orders",
              "--key",
              Integer.toString(damagedOrder(log)));
      assertThat(history.out()).contains("[backed out by");
      Cli.Result audit = run("audit", "-c", c, "--tx", loader.get(0), "--json");
      assertThat(audit.out()).contains("\"backedOutBy\"");
      // the undo marks are indexed keys like any other: the journal still verifies whole
      Cli.Result verify = run("verify", "-c", c);
      assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
    }
  }

  /** Loader 1: a test customer, and every third real order re-pointed at it with a new amount. */
  static String repointOrders(Connection l) throws SQLException {
    try (Statement s = l.createStatement()) {
      s.execute("INSERT INTO customers VALUES (" + TEST_CUSTOMER + ", 'TEST', 'test@loader')");
      s.execute("SELECT 1 FROM orders WHERE id % 3 = 0 AND id <= " + ORDERS + " FOR UPDATE");
      s.execute(
          "INSERT INTO pre_images SELECT 'orders', id::text, o::text FROM orders o"
              + " WHERE id % 3 = 0 AND id <= "
              + ORDERS);
      s.execute(
          "UPDATE orders SET customer_id = "
              + TEST_CUSTOMER
              + ", amount = 0.01, notes = 'loaded by test' WHERE id % 3 = 0 AND id <= "
              + ORDERS);
      return commit(l, s);
    }
  }

  /** Loader 2: 60 test orders with two items each. */
  static String insertTestOrders(Connection l) throws SQLException {
    try (Statement s = l.createStatement()) {
      s.execute(
          "INSERT INTO orders SELECT g, "
              + TEST_CUSTOMER
              + ", 'test', 1, 'loaded by test' FROM generate_series(50001, 50060) g");
      s.execute(
          "INSERT INTO items SELECT o, l, 'TEST', 1"
              + " FROM generate_series(50001, 50060) o, generate_series(1, 2) l");
      return commit(l, s);
    }
  }

  /** Loader 3: the second item of 40 real orders (ones the shop does not delete) deleted. */
  static String deleteItems(Connection l) throws SQLException {
    String which = "order_id % 3 = 1 AND order_id <= 120 AND line = 2";
    try (Statement s = l.createStatement()) {
      s.execute("SELECT 1 FROM items WHERE " + which + " FOR UPDATE");
      s.execute(
          "INSERT INTO pre_images SELECT 'items', order_id || '/' || line, i::text FROM items i"
              + " WHERE "
              + which);
      s.execute("DELETE FROM items WHERE " + which);
      return commit(l, s);
    }
  }

  static String commit(Connection l, Statement s) throws SQLException {
    String tx;
    try (ResultSet rs = s.executeQuery("SELECT (txid_current() % 4294967296)::text")) {
      rs.next();
      tx = rs.getString(1);
    }
    l.commit();
    return tx;
  }

  /**
   * The shop: status changes anywhere, amount changes (the loader's column) and deletes of the
   * orders the loader re-pointed once it has, new orders with items, quantity changes.
   */
  static void shop(Random r, WriterLog log, AtomicBoolean loaderDone, AtomicBoolean stop)
      throws SQLException, InterruptedException {
    int nextOrder = 10_001;
    try (Connection w = pg.connect();
        Statement s = w.createStatement()) {
      while (!stop.get()) {
        int id = 1 + r.nextInt(ORDERS);
        if (log.deleted.contains(id)) {
          continue;
        }
        int pick = r.nextInt(10);
        if (pick < 4) {
          String status = "status-" + log.transactions;
          s.execute("UPDATE orders SET status = '" + status + "' WHERE id = " + id);
          log.lastStatus.put(id, status);
        } else if (pick < 6 && loaderDone.get() && id % 3 == 0) {
          String amount = (500 + log.transactions) + ".77";
          s.execute("UPDATE orders SET amount = " + amount + " WHERE id = " + id);
          log.lastAmount.put(id, amount);
        } else if (pick == 6 && loaderDone.get() && id % 3 == 0) {
          w.setAutoCommit(false);
          s.execute("DELETE FROM items WHERE order_id = " + id);
          s.execute("DELETE FROM orders WHERE id = " + id);
          w.commit();
          w.setAutoCommit(true);
          log.deleted.add(id);
        } else if (pick < 9) {
          w.setAutoCommit(false);
          int o = nextOrder++;
          s.execute("INSERT INTO orders VALUES (" + o + ", " + (1 + o % 20) + ", 'new', 5, NULL)");
          s.execute("INSERT INTO items VALUES (" + o + ", 1, 'sku-new', 1)");
          w.commit();
          w.setAutoCommit(true);
          log.inserted.add(o);
          id = o;
        } else {
          s.execute(
              "UPDATE items SET qty = qty + 1 WHERE order_id = " + id + " AND order_id % 3 <> 1");
        }
        log.touched.add(id);
        log.transactions++;
        Thread.sleep(5);
      }
    }
  }

  void checkRepaired(WriterLog log) throws SQLException {
    Map<String, String> pre = new HashMap<>();
    try (Connection x = pg.connect();
        Statement s = x.createStatement();
        ResultSet rs = s.executeQuery("SELECT tbl || ':' || k, img FROM pre_images")) {
      while (rs.next()) {
        pre.put(rs.getString(1), rs.getString(2));
      }
    }
    assertThat(pre).hasSize(100 + 40);
    int exact = 0;
    for (int id = 3; id <= ORDERS; id += 3) {
      String now = one("SELECT o::text FROM orders o WHERE id = " + id);
      if (log.deleted.contains(id)) {
        assertThat(now).as("order %d, deleted later, stays deleted", id).isNull();
        continue;
      }
      String image = pre.get("orders:" + id);
      if (!log.touched.contains(id)) {
        assertThat(now).as("order %d, untouched after the loader", id).isEqualTo(image);
        exact++;
        continue;
      }
      // the loader's columns are back, except a later amount, which is kept
      assertThat(
              one("SELECT customer_id || '|' || coalesce(notes, '-') FROM orders WHERE id = " + id))
          .as("order %d's customer and notes", id)
          .isEqualTo(
              one(
                  "SELECT (r).customer_id || '|' || coalesce((r).notes, '-') FROM (SELECT '"
                      + image
                      + "'::orders AS r) x"));
      String amount = one("SELECT amount::text FROM orders WHERE id = " + id);
      String imageAmount = one("SELECT ('" + image + "'::orders).amount::text");
      assertThat(amount)
          .as("order %d's amount", id)
          .isEqualTo(log.lastAmount.getOrDefault(id, imageAmount));
      if (log.lastStatus.containsKey(id)) {
        assertThat(one("SELECT status FROM orders WHERE id = " + id))
            .as("order %d's later status", id)
            .isEqualTo(log.lastStatus.get(id));
      }
    }
    assertThat(exact).as("rows the shop never touched").isGreaterThan(10);
    for (Map.Entry<String, String> e : pre.entrySet()) {
      if (e.getKey().startsWith("items:")) {
        String[] k = e.getKey().substring(6).split("/");
        assertThat(
                one("SELECT i::text FROM items i WHERE order_id = " + k[0] + " AND line = " + k[1]))
            .as("item %s, deleted by the loader, is back", e.getKey())
            .isEqualTo(e.getValue());
      }
    }
    assertThat(one("SELECT count(*)::text FROM orders WHERE id > 50000")).isEqualTo("0");
    assertThat(one("SELECT count(*)::text FROM items WHERE sku = 'TEST'")).isEqualTo("0");
    assertThat(one("SELECT count(*)::text FROM customers WHERE id = " + TEST_CUSTOMER))
        .isEqualTo("0");
    for (int o : log.inserted) {
      assertThat(one("SELECT count(*)::text FROM orders WHERE id = " + o))
          .as("the shop's order %d", o)
          .isEqualTo("1");
    }
    for (Map.Entry<Integer, String> e : log.lastStatus.entrySet()) {
      if (!log.deleted.contains(e.getKey())) {
        assertThat(one("SELECT status FROM orders WHERE id = " + e.getKey()))
            .isEqualTo(e.getValue());
      }
    }
  }

  static int damagedOrder(WriterLog log) {
    for (int id = 3; id <= ORDERS; id += 3) {
      if (!log.touched.contains(id)) {
        return id;
      }
    }
    throw new AssertionError("every damaged order was touched later");
  }

  static String dump() throws SQLException {
    return one(
        "SELECT md5(string_agg(t, E'\\n' ORDER BY t)) FROM ("
            + " SELECT 'c' || c::text t FROM customers c UNION ALL"
            + " SELECT 'o' || o::text FROM orders o UNION ALL"
            + " SELECT 'i' || i::text FROM items i) x");
  }

  static String one(String sql) throws SQLException {
    try (Connection x = pg.connect();
        Statement s = x.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
