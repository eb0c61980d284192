package io.rowguard.cli;

import io.rowguard.cli.internal.HistoryView;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.PlanView;
import io.rowguard.client.Rowguard;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.Database;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.journal.Journal;
import io.rowguard.replay.ApplyResult;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier;
import io.rowguard.replay.Planner;
import io.rowguard.replay.RollbackPlan;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Start a private PostgreSQL 17 with logical replication, create a small shop, capture it"
          + " into a journal, run a workload whose transactions say who made them, show one"
          + " order's history; then a bad deploy overwrites orders, and the demo finds it with"
          + " `incidents`, prints the backout plan, applies it, proves the table is back and"
          + " verifies the journal's hash chain. Needs nothing installed; leaves nothing running.",
      "With --db mariadb, the same on a private MariaDB started from this machine's mariadbd,"
          + " captured from its binlog."
    })
final class DemoCommand implements Callable<Integer> {
  private static final TableId ORDERS = TableId.of("public", "orders");

  @Option(
      names = "--orders",
      defaultValue = "200",
      description = "Orders the workload places (default: ${DEFAULT-VALUE}).")
  int orders;

  @Option(names = "--seed", defaultValue = "7", description = "Random seed of the workload.")
  long seed;

  @Option(
      names = "--db",
      defaultValue = "postgres",
      description =
          "The database to run the demo on: postgres (embedded, needs nothing installed) or"
              + " mariadb (a private server from the machine's own mariadbd).")
  String db;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Logging.quiet();
    PrintWriter out = spec.commandLine().getOut();
    if (db.equalsIgnoreCase("mariadb")) {
      return new MariaDbDemo(this, out).run();
    }
    if (!db.equalsIgnoreCase("postgres")) {
      throw new io.rowguard.core.InputException(
          "--db " + db + " is not a demo database (postgres or mariadb)");
    }
    requireEmbeddedPostgres();
    long started = System.nanoTime();
    Path work = Files.createTempDirectory("rowguard-demo-");
    out.println("rowguard demo: a shop database, its journal, and the history of one order");
    out.println();
    try (DemoPostgres pg = startPostgres(out)) {
      try (Connection c = pg.connect()) {
        createShop(c);
        out.println(
            "2. Created the shop: customers and orders, REPLICA IDENTITY FULL, 20 customers"
                + " and 50 orders already placed.");
      }
      RowguardConfig config = writeConfig(work, pg.port());
      out.println("3. Config " + config.file() + ":");
      Files.readAllLines(config.file()).forEach(l -> out.println("     " + l));
      out.flush();
      try (Journal journal = Journal.openWriter(config.journalDir());
          Capture capture = Capture.start(config, journal)) {
        if (!capture.awaitReady(Duration.ofSeconds(30))) {
          throw capture.failure().isPresent()
              ? capture.failure().get()
              : new IllegalStateException(
                  "the capture did not create its replication slot in 30 s");
        }
        out.println(
            "4. Capture started (Debezium Embedded, pgoutput); the snapshot journals the"
                + " 70 existing rows.");
        out.flush();
        long changes;
        String since =
            java.time.Instant.now()
                .minusSeconds(1)
                .truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                .toString();
        try (Connection c = pg.connect()) {
          changes = runWorkload(c, new Random(seed));
        }
        long expected = 70 + changes;
        awaitJournal(journal, capture, expected);
        out.printf(
            "5. Workload: %d orders placed, paid, shipped or cancelled: %d row changes; the"
                + " journal now holds %d entries.%n",
            orders, changes, journal.changeCount());
        out.println();
        TableId table = ORDERS;
        RowKey key = RowKey.parse("7", journal.latestSchema(table).orElseThrow());
        out.println("6. $ rowguard history -c " + config.file() + " --table orders --key 7");
        HistoryView.printText(out, table, key, journal.history(table, key), journal::attribution);
        badDeployAndRollback(out, pg, config, journal, capture, expected, since);
      }
      out.println();
      out.printf(
          "Done in %.1f s. Everything the demo started is stopped and its files are"
              + " deleted.%n",
          (System.nanoTime() - started) / 1e9);
      out.println(
          "Next: point a config file at your own PostgreSQL and run `rowguard capture -c"
              + " FILE` (see `rowguard capture --help`).");
      out.flush();
    } finally {
      deleteRecursively(work);
    }
    return Main.OK;
  }

  /** A bad deploy overwrites and deletes orders; find it, plan the backout, apply, prove it. */
  private void badDeployAndRollback(
      PrintWriter out,
      DemoPostgres pg,
      RowguardConfig config,
      Journal journal,
      Capture capture,
      long journaled,
      String since)
      throws Exception {
    List<String> before = orders(pg);
    String badTx;
    int changed;
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      changed =
          s.executeUpdate(
              "UPDATE orders SET status = 'cancelled', amount = 0, note = 'loader test data'"
                  + " WHERE id % 3 = 0");
      changed += s.executeUpdate("DELETE FROM orders WHERE id % 17 = 1");
      try (ResultSet rs = s.executeQuery("SELECT (txid_current() % 4294967296)::text")) {
        rs.next();
        badTx = rs.getString(1);
      }
      c.commit();
    }
    awaitJournal(journal, capture, journaled + changed);
    out.println();
    out.printf(
        "7. A bad deploy overwrote and deleted %d orders, without saying who it was. Which"
            + " transaction was it?%n",
        changed);
    out.println("   $ rowguard incidents -c " + config.file() + " --since " + since + " --limit 3");
    out.flush();
    runCommand(out, "incidents", "-c", config.file().toString(), "--since", since, "--limit", "3");
    out.println();
    out.printf("8. Order 9's history shows the bad deploy (transaction %s):%n", badTx);
    TableId table = ORDERS;
    RowKey nine = RowKey.parse("9", journal.latestSchema(table).orElseThrow());
    HistoryView.printText(out, table, nine, journal.history(table, nine), journal::attribution);
    out.println();
    backoutAndVerify(
        out,
        9,
        config,
        journal,
        capture,
        badTx,
        journaled + changed,
        io.rowguard.core.SqlDialect.POSTGRES,
        "row::text of every row",
        before,
        () -> orders(pg));
  }

  /**
   * The demo's last steps, from {@code step} on: the backout of {@code badTx} as a dry run,
   * applied, the table compared with {@code before}, and the journal verified.
   */
  static void backoutAndVerify(
      PrintWriter out,
      int step,
      RowguardConfig config,
      Journal journal,
      Capture capture,
      String badTx,
      long journaled,
      io.rowguard.core.SqlDialect dialect,
      String comparedBy,
      List<String> before,
      Callable<List<String>> orders)
      throws Exception {
    out.println(
        step + ". $ rowguard backout -c " + config.file() + " --tx " + badTx + "   (dry run)");
    RollbackPlan plan = new Planner(journal, Clock.systemUTC()).backout(badTx, false);
    PlanView.printText(out, plan, 5, dialect);
    out.println();
    out.println(
        (step + 1)
            + ". $ rowguard backout -c "
            + config.file()
            + " --tx "
            + badTx
            + " --apply --reason 'bad deploy'");
    ApplyResult result;
    try (Connection c = Database.connect(config)) {
      result =
          new PlanApplier(c)
              .apply(plan, ConflictPolicy.ABORT, "demo", "bad deploy", PlanApplier.Progress.NONE);
    }
    PlanView.printResult(out, result, config.file());
    List<String> after = orders.call();
    out.println();
    out.printf(
        "%d. orders compared with its state before the bad deploy (%s): %d rows, %s%n",
        step + 2, comparedBy, after.size(), after.equals(before) ? "identical" : "DIFFERENT");
    out.flush();
    if (!after.equals(before)) {
      throw new IllegalStateException("the backout did not restore the orders table");
    }
    long written = result.applied().values().stream().mapToLong(Integer::longValue).sum();
    awaitJournal(journal, capture, journaled + written);
    out.println();
    out.println((step + 3) + ". $ rowguard verify -c " + config.file());
    out.flush();
    if (runCommand(out, "verify", "-c", config.file().toString()) != Main.OK) {
      throw new IllegalStateException("the journal did not verify");
    }
  }

  /** Runs a rowguard command in this process, as a user would type it, printing to {@code out}. */
  static int runCommand(PrintWriter out, String... args) {
    picocli.CommandLine cmd = Main.commandLine();
    PrintWriter indented =
        new PrintWriter(
            new java.io.Writer() {
              private boolean lineStart = true;

              @Override
              public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                  if (lineStart) {
                    out.write("   ");
                  }
                  out.write(buf[i]);
                  lineStart = buf[i] == '\n';
                }
              }

              @Override
              public void flush() {
                out.flush();
              }

              @Override
              public void close() {}
            },
            true);
    cmd.setOut(indented);
    cmd.setErr(indented);
    int exit = cmd.execute(args);
    indented.flush();
    return exit;
  }

  private static List<String> orders(DemoPostgres pg) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT o::text FROM orders o ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  /**
   * The demo's PostgreSQL is not in rowguard.jar (a server does not need it): it comes in
   * rowguard-demo.jar, which ./rowguard builds and puts on the class path.
   */
  private static void requireEmbeddedPostgres() {
    if (!DemoPostgres.available()) {
      throw new io.rowguard.core.InputException(
          "the demo's embedded PostgreSQL is not in rowguard.jar: run ./rowguard demo from a"
              + " checkout (it builds demo/target/rowguard-demo.jar), or java -cp"
              + " rowguard.jar:rowguard-demo.jar io.rowguard.cli.Main demo; `demo --db mariadb`"
              + " needs neither");
    }
  }

  private static DemoPostgres startPostgres(PrintWriter out) throws IOException {
    DemoPostgres pg = DemoPostgres.start();
    out.println("1. Started PostgreSQL 17 on 127.0.0.1:" + pg.port() + " (wal_level=logical).");
    out.flush();
    return pg;
  }

  private static void createShop(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text)");
      s.execute(
          "CREATE TABLE orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES"
              + " customers, status text NOT NULL, amount numeric(10,2) NOT NULL, note text,"
              + " updated_at timestamptz NOT NULL DEFAULT now())");
      s.execute("ALTER TABLE customers REPLICA IDENTITY FULL");
      s.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
      s.execute(
          "INSERT INTO customers (name, email) SELECT 'customer ' || g, 'c' || g ||"
              + " '@example.com' FROM generate_series(1, 20) g");
      s.execute(
          "INSERT INTO orders (customer_id, status, amount) SELECT 1 + g % 20, 'new',"
              + " round((10 + g * 1.37)::numeric, 2) FROM generate_series(1, 50) g");
    }
  }

  private RowguardConfig writeConfig(Path work, int port) throws IOException {
    Path file = work.resolve("shop.properties");
    Files.writeString(
        file,
        String.join(
            "\n",
            "source.connector=postgres",
            "source.database.hostname=127.0.0.1",
            "source.database.port=" + port,
            "source.database.user=postgres",
            "source.database.password=${env:ROWGUARD_DEMO_PASSWORD}",
            "source.database.dbname=postgres",
            "source.table.include.list=public.customers,public.orders",
            "journal.dir=" + work.resolve("journal"),
            ""));
    return RowguardConfig.load(
        file, name -> name.equals("ROWGUARD_DEMO_PASSWORD") ? "" : System.getenv(name));
  }

  /** Places, pays, ships and cancels orders; returns the number of row changes made. */
  long runWorkload(Connection c, Random random) throws SQLException {
    long changes = 0;
    try (Statement s = c.createStatement()) {
      for (int i = 0; i < orders; i++) {
        int customer = 1 + random.nextInt(20);
        c.setAutoCommit(false);
        Rowguard.tag(c, "checkout", "place order", "cart-" + (1000 + i));
        changes +=
            s.executeUpdate(
                "INSERT INTO orders (customer_id, status, amount) VALUES ("
                    + customer
                    + ", 'new', "
                    + (5 + random.nextInt(50_000) / 100.0)
                    + ")");
        changes +=
            s.executeUpdate(
                "UPDATE customers SET email = 'c"
                    + customer
                    + "+"
                    + i
                    + "@example.com' WHERE id = "
                    + customer);
        c.commit();
        Rowguard.tag(c, random.nextBoolean() ? "fulfillment" : "support", null, null);
        int order = 1 + random.nextInt(50 + i + 1);
        switch (random.nextInt(4)) {
          case 0 ->
              changes +=
                  s.executeUpdate(
                      "UPDATE orders SET status = 'paid', updated_at = now() WHERE id = "
                          + order
                          + " AND status = 'new'");
          case 1 ->
              changes +=
                  s.executeUpdate(
                      "UPDATE orders SET status = 'shipped', note = 'tracking "
                          + (1000 + i)
                          + "', updated_at = now() WHERE id = "
                          + order
                          + " AND status = 'paid'");
          case 2 ->
              changes +=
                  s.executeUpdate(
                      "UPDATE orders SET amount = amount + 1.25, updated_at = now() WHERE id = "
                          + order);
          default -> {
            if (random.nextInt(5) == 0) {
              changes += s.executeUpdate("DELETE FROM orders WHERE id = " + order);
            }
          }
        }
        c.commit();
      }
      Rowguard.tag(c, "fulfillment", "express shipping", "ticket-77");
      changes +=
          s.executeUpdate("UPDATE orders SET status = 'paid', updated_at = now() WHERE id = 7");
      changes +=
          s.executeUpdate(
              "UPDATE orders SET status = 'shipped', note = 'express', updated_at = now() WHERE id = 7");
      c.commit();
    } finally {
      c.setAutoCommit(true);
    }
    return changes;
  }

  static void awaitJournal(Journal journal, Capture capture, long expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    while (journal.changeCount() < expected) {
      if (capture.failure().isPresent()) {
        throw capture.failure().get();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "the journal reached "
                + journal.changeCount()
                + " of "
                + expected
                + " changes in 40 s; is the capture stuck?");
      }
      Thread.sleep(50);
    }
  }

  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
