package io.rowguard.cli;

import static io.rowguard.cli.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The command line against a real PostgreSQL: reads while capture runs, and bad input. */
@ExtendWith(PostgresExtension.class)
class CliIT {
  static final String WEAK_PW = "weak-pw-81c2a";

  static PostgresFixture pg;

  @BeforeAll
  static void startPostgres(PostgresFixture fixture) throws Exception {
    pg = fixture;
    // password authentication for everyone but the fixture's own superuser
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW hba_file")) {
      rs.next();
      String hba = rs.getString(1);
      s.execute(
          "COPY (SELECT unnest(ARRAY['local all all trust',"
              + " 'host all postgres 127.0.0.1/32 trust',"
              + " 'host all all 127.0.0.1/32 scram-sha-256'])) TO '"
              + hba
              + "'");
      s.execute("SELECT pg_reload_conf()");
      s.execute("CREATE ROLE guard LOGIN REPLICATION PASSWORD 'right'");
      TestLogs.secret(WEAK_PW, "s3cr3t-value");
      s.execute("CREATE ROLE weak LOGIN PASSWORD '" + WEAK_PW + "'");
    }
    pg.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, status text, amount numeric(10,2))",
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        "CREATE TABLE line_items (order_id int, line int, sku text, PRIMARY KEY (order_id, line))",
        "ALTER TABLE line_items REPLICA IDENTITY FULL",
        "CREATE TABLE plain (id int PRIMARY KEY)",
        "INSERT INTO orders VALUES (1, 'new', 10.00), (2, 'new', 20.00)",
        "INSERT INTO line_items VALUES (1, 1, 'a'), (1, 2, 'b')");
  }

  @TempDir Path dir;

  Path writeConfig(Map<String, String> props) throws Exception {
    Path file = dir.resolve("rowguard-" + System.nanoTime() + ".properties");
    Files.writeString(
        file,
        new TreeMap<>(props)
            .entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n")));
    return file;
  }

  Map<String, String> props(String include, String name) {
    return pg.configProperties(dir.resolve("journal-" + name), include, name);
  }

  @Test
  void historyAndStatusWorkWhileCaptureRuns() throws Exception {
    Map<String, String> props = props("public.orders,public.line_items", "live");
    Path file = writeConfig(props);
    RowguardConfig config = RowguardConfig.load(file);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      pg.awaitStreaming(config);
      pg.exec("UPDATE orders SET status = 'paid', amount = 12.50 WHERE id = 1");
      JournalAwait.entries(journal, 5);

      Cli.Result history = run("history", "-c", file.toString(), "--table", "orders", "--key", "1");
      assertThat(history.exit()).as(history.err()).isZero();
      assertThat(history.out())
          .contains("history of public.orders key 1: 2 versions")
          .contains("snapshot")
          .contains("status: new -> paid; amount: 10.00 -> 12.50");

      Cli.Result json =
          run(
              "history",
              "-c",
              file.toString(),
              "--table",
              "public.line_items",
              "--key",
              "order_id=1,line=2",
              "--json");
      assertThat(json.exit()).as(json.err()).isZero();
      JsonNode doc = new ObjectMapper().readTree(json.out());
      assertThat(doc.get("versions").get(0).get("after").get("sku").asText()).isEqualTo("b");

      Cli.Result status = run("status", "-c", file.toString(), "--json");
      assertThat(status.exit()).as(status.err()).isZero();
      JsonNode s = new ObjectMapper().readTree(status.out());
      assertThat(s.get("entries").asLong()).isEqualTo(5);
      assertThat(s.get("database").get("slotActive").asBoolean()).isTrue();

      Cli.Result text = run("status", "-c", file.toString());
      assertThat(text.out())
          .contains("entries       5 in 2 table(s)")
          .contains("slot rg_live active");
    }
    assertThat(Files.getPosixFilePermissions(config.journalDir()))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void badInputEndsInOneLineAndExitCodeTwo() throws Exception {
    Map<String, String> good = props("public.orders", "bad");
    Path goodFile = writeConfig(good);
    // a journal to read from
    RowguardConfig config = RowguardConfig.load(goodFile);
    try (Journal journal = Journal.openWriter(config.journalDir());
        Capture capture = Capture.start(config, journal)) {
      JournalAwait.entries(journal, 2);
    }

    assertBadInput(
        run(
            "history",
            "-c",
            dir.resolve("missing.properties").toString(),
            "--table",
            "orders",
            "--key",
            "1"),
        "does not exist");
    assertBadInput(
        run("status", "-c", writeConfig(with(good, "jurnal.dir", "/tmp/x")).toString()),
        "unknown key jurnal.dir");
    assertBadInput(
        run("capture", "-c", writeConfig(with(good, "source.connector", "oracle")).toString()),
        "source.connector=oracle is not a connector rowguard knows");
    assertBadInput(
        run("capture", "-c", writeConfig(without(good, "journal.dir")).toString()),
        "missing key journal.dir");
    int freePort;
    try (ServerSocket s = new ServerSocket(0)) {
      freePort = s.getLocalPort();
    }
    assertBadInput(
        run(
            "capture",
            "-c",
            writeConfig(with(good, "source.database.port", Integer.toString(freePort))).toString()),
        "cannot connect to PostgreSQL at 127.0.0.1:" + freePort);
    Map<String, String> guard = with(good, "source.database.user", "guard");
    assertBadInput(
        run(
            "capture",
            "-c",
            writeConfig(with(guard, "source.database.password", "wrong")).toString()),
        "rejected user 'guard'");
    Cli.Result withSecret =
        run(
            "capture",
            "-c",
            writeConfig(with(guard, "source.database.password", "s3cr3t-value")).toString());
    assertThat(withSecret.err()).doesNotContain("s3cr3t-value");
    assertBadInput(
        run(
            "capture",
            "-c",
            writeConfig(with(good, "source.database.password", "${env:ROWGUARD_NO_SUCH_VAR}"))
                .toString()),
        "ROWGUARD_NO_SUCH_VAR is not set");
    assertBadInput(
        run(
            "capture",
            "-c",
            writeConfig(with(good, "source.table.include.list", "public.plain")).toString()),
        "ALTER TABLE \"public\".\"plain\" REPLICA IDENTITY FULL;");
    assertBadInput(
        run(
            "capture",
            "-c",
            writeConfig(with(good, "source.table.include.list", "public.nope")).toString()),
        "no table of database " + pg.database() + " matches source.table.include.list=public.nope");
    Map<String, String> weak =
        with(
            with(
                with(
                    with(good, "source.database.user", "weak"),
                    "source.database.password",
                    WEAK_PW),
                "source.publication.name",
                "rg_weak"),
            "journal.dir",
            dir.resolve("journal-weak").toString());
    Cli.Result weakRun = run("capture", "-c", writeConfig(weak).toString());
    assertBadInput(
        weakRun,
        "user weak may not read the replication log; run: ALTER ROLE \"weak\" REPLICATION;");
    assertThat(weakRun.err())
        .contains("run: GRANT SELECT ON \"public\".\"orders\" TO \"weak\";")
        .contains(
            "as the tables' owner run: CREATE PUBLICATION \"rg_weak\" FOR TABLE"
                + " \"public\".\"orders\" WITH (publish = 'insert, update, delete, truncate',"
                + " publish_via_partition_root = true);");
    // a refused start leaves no journal directory behind
    assertThat(dir.resolve("journal-weak")).doesNotExist();
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "customers", "--key", "1"),
        "table 'customers' is not captured in this journal (captured: public.orders)");
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "orders", "--key", "999"),
        "no row of public.orders with key 999");
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "orders", "--key", "one"),
        "id needs a whole number, got 'one'");
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "orders", "--key", "sku=1"),
        "sku is not a primary key column of public.orders");
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "orders"),
        "Missing required option: '--key=K'");
    assertBadInput(
        run("history", "-c", goodFile.toString(), "--table", "\"orders", "--key", "1"),
        "unterminated quote");
    assertBadInput(run("nonsense"), "Unmatched argument");
    assertBadInput(
        run(
            "history",
            "-c",
            writeConfig(with(good, "journal.dir", dir.resolve("empty").toString())).toString(),
            "--table",
            "orders",
            "--key",
            "1"),
        "no journal at");
  }

  @Test
  void rollbackBackoutAndExportThroughTheCommandLine() throws Exception {
    pg.exec(
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2))",
        "ALTER TABLE accounts REPLICA IDENTITY FULL",
        "INSERT INTO accounts SELECT g, 'owner ' || g, g * 100 FROM generate_series(1, 10) g");
    Path file = writeConfig(props("public.accounts", "acct"));
    RowguardConfig config = RowguardConfig.load(file);
    try (Journal journal = Journal.openWriter(config.journalDir())) {
      Capture capture = Capture.start(config, journal);
      try {
        pg.awaitStreaming(config);
        JournalAwait.entries(journal, 10);
        String good = query("SELECT string_agg(a::text, ';' ORDER BY id) FROM accounts a");
        String t =
            query(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
        Thread.sleep(10);
        String bad =
            query(
                "WITH u AS (UPDATE accounts SET balance = 0 WHERE id <= 5 RETURNING 1)"
                    + " SELECT (txid_current() % 4294967296)::text");
        JournalAwait.entries(journal, 15);

        Cli.Result dry = run("rollback", "-c", file.toString(), "--table", "accounts", "--to", t);
        assertThat(dry.exit()).as(dry.err()).isZero();
        assertThat(dry.out())
            .contains("5 row(s) to update, 0 to insert, 0 to delete")
            .contains("balance: 0.00 -> 100.00")
            .contains("Dry run: nothing was written");
        assertThat(query("SELECT count(*) FROM accounts WHERE balance = 0")).isEqualTo("5");

        Path keyFile = dir.resolve("keys.txt");
        java.nio.file.Files.writeString(keyFile, "1\n# the second one\n\n2\n");
        Cli.Result fromFile =
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--keys-from",
                keyFile.toString(),
                "--to",
                t);
        assertThat(fromFile.exit()).as(fromFile.err()).isZero();
        assertThat(fromFile.out()).contains("2 row(s) to update");

        Cli.Result selected =
            run(
                "backout",
                "-c",
                file.toString(),
                "--unattributed",
                "--since",
                "1h",
                "--table",
                "accounts");
        assertThat(selected.exit()).as(selected.err()).isZero();
        assertThat(selected.out()).contains("transactions whose work it undoes").contains(bad);

        Cli.Result json = run("backout", "-c", file.toString(), "--tx", bad, "--json");
        JsonNode plan = new ObjectMapper().readTree(json.out());
        assertThat(plan.get("summary").get("update").asInt()).isEqualTo(5);
        assertThat(plan.get("rows").get(0).get("sql").asText())
            .startsWith("UPDATE \"public\".\"accounts\"");

        // a writer moved row 2 on, and capture has not journaled it yet (it is stopped here, as if
        // it lagged): planning from that journal is refused
        capture.close();
        pg.exec("UPDATE accounts SET owner = 'changed by hand' WHERE id = 2");
        Cli.Result stale =
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--key",
                "2",
                "--to",
                t,
                "--wait",
                "1s");
        assertThat(stale.exit()).as(stale.out() + stale.err()).isEqualTo(1);
        assertThat(stale.err())
            .contains("the journal has not caught up with the database")
            .contains("--allow-stale");
        // planned from it anyway, the plan expects the old row: abort writes nothing and exits 3
        Cli.Result conflict =
            run(
                "rollback",
                "--allow-stale",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--key",
                "1",
                "--key",
                "2",
                "--to",
                t,
                "--apply");
        assertThat(conflict.exit()).as(conflict.out() + conflict.err()).isEqualTo(3);
        assertThat(conflict.out()).contains("conflict: public.accounts key 2").contains("owner");
        assertThat(query("SELECT count(*) FROM accounts WHERE balance = 0")).isEqualTo("5");
        // the whole table, planned and written together, finds the same conflict
        Cli.Result whole =
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--to",
                t,
                "--apply",
                "--allow-stale");
        assertThat(whole.exit()).as(whole.out() + whole.err()).isEqualTo(3);
        assertThat(whole.out())
            .contains("5 row(s) to update")
            .contains("conflict: public.accounts key 2");
        assertThat(query("SELECT count(*) FROM accounts WHERE balance = 0")).isEqualTo("5");
        capture = Capture.start(config, journal);
        JournalAwait.entries(journal, 16);

        Cli.Result applied =
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--to",
                t,
                "--apply",
                "--on-conflict",
                "overwrite",
                "--operator",
                "oncall",
                "--reason",
                "bad job");
        assertThat(applied.exit()).as(applied.err()).isZero();
        assertThat(applied.out())
            .contains("applied in transaction")
            .contains("undo it with: rowguard backout -c " + file);
        assertThat(query("SELECT string_agg(a::text, ';' ORDER BY id) FROM accounts a"))
            .isEqualTo(good);
        JournalAwait.entries(journal, 21); // 10 snapshot + 5 bad + 1 by hand + 5 rolled back
        Cli.Result history =
            run("history", "-c", file.toString(), "--table", "accounts", "--key", "3");
        assertThat(history.out()).contains("[rollback by oncall: bad job]");

        Cli.Result export =
            run(
                "export",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--as-of",
                t,
                "--format",
                "csv");
        assertThat(export.exit()).as(export.err()).isZero();
        assertThat(export.out())
            .startsWith("id,owner,balance\n1,owner 1,100.00\n")
            .contains("10,owner 10,1000.00");
        Path out = dir.resolve("accounts.jsonl");
        Cli.Result toFile =
            run(
                "export",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--as-of",
                t,
                "--format",
                "jsonl",
                "--output",
                out.toString());
        assertThat(toFile.exit()).as(toFile.err()).isZero();
        assertThat(Files.readAllLines(out))
            .hasSize(10)
            .first()
            .asString()
            .contains("\"owner\":\"owner 1\"");

        assertBadInput(
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--to",
                "2000-01-01T00:00:00Z"),
            "the earliest time available is");
        assertBadInput(
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--to",
                "2999-01-01T00:00:00Z"),
            "is in the future");
        assertBadInput(
            run("rollback", "-c", file.toString(), "--table", "accounts", "--to", "yesterday"),
            "bad time for --to: 'yesterday'");
        assertBadInput(
            run("rollback", "-c", file.toString(), "--table", "accounts"),
            "Missing required argument");
        assertBadInput(
            run("rollback", "-c", file.toString(), "--table", "nope", "--to", t),
            "table 'nope' is not captured");
        assertBadInput(
            run("rollback", "-c", file.toString(), "--table", "accounts", "--key", "77", "--to", t),
            "no row of public.accounts with key 77");
        assertBadInput(
            run("backout", "-c", file.toString(), "--tx", "123456789"),
            "unknown transaction 123456789");
        assertBadInput(
            run("backout", "-c", file.toString(), "--tx", bad, "--on-conflict", "maybe"),
            "bad --on-conflict 'maybe'");
        assertBadInput(
            run(
                "rollback",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--keys-from",
                dir.resolve("none.txt").toString(),
                "--to",
                t),
            "--keys-from " + dir.resolve("none.txt") + ": cannot read it");
        assertBadInput(run("backout", "-c", file.toString()), "name the transactions with --tx");
        assertBadInput(
            run("backout", "-c", file.toString(), "--actor", "loader"),
            "--actor and --unattributed need --since");
        assertBadInput(
            run("backout", "-c", file.toString(), "--actor", "nobody", "--since", "1h"),
            "no transaction by nobody");
        assertBadInput(
            run("backout", "-c", file.toString(), "--tx", bad, "--granularity", "table"),
            "bad --granularity 'table': use cell or row");
        assertBadInput(
            run("backout", "-c", file.toString(), "--tx", bad, "--tx", "123456789"),
            "unknown transaction 123456789");
        assertBadInput(
            run(
                "export",
                "-c",
                file.toString(),
                "--table",
                "accounts",
                "--as-of",
                t,
                "--format",
                "xlsx"),
            "bad --format 'xlsx'");
      } finally {
        capture.close();
      }
    }
  }

  static String query(String sql) throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void assertBadInput(Cli.Result r, String message) {
    assertThat(r.exit()).as("exit code; stderr: %s", r.err()).isEqualTo(2);
    assertThat(r.err()).contains(message).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(r.out()).isEmpty();
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> m = new TreeMap<>(base);
    m.put(key, value);
    return m;
  }

  private static Map<String, String> without(Map<String, String> base, String key) {
    Map<String, String> m = new TreeMap<>(base);
    m.remove(key);
    return m;
  }
}
