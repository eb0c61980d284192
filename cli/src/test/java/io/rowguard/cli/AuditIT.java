package io.rowguard.cli;

import static io.rowguard.cli.Cli.ok;
import static io.rowguard.cli.Cli.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.client.Rowguard;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who changed what, on a real PostgreSQL: attribution from a message, from an actor column, and
 * none; audit filters and paging; incidents finding a planted mass overwrite among ordinary
 * traffic; blast radius; verify while capture runs.
 */
@ExtendWith(PostgresExtension.class)
class AuditIT {
  static PostgresFixture pg;
  static Journal journal;
  static Capture capture;
  static Path file;
  static String massTx;
  static String aliceTx;
  static Instant middle;
  static long changes;

  @TempDir static Path dir;

  @BeforeAll
  static void trafficWithABadWriteInIt(PostgresFixture fixture) throws Exception {
    pg = fixture;
    pg.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, status text, amount numeric(10,2),"
            + " updated_by text)",
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        "CREATE SCHEMA \"Sales\"",
        "CREATE TABLE \"Sales\".\"Order Items\" (order_id int, line int, sku text,"
            + " PRIMARY KEY (order_id, line))",
        "ALTER TABLE \"Sales\".\"Order Items\" REPLICA IDENTITY FULL");
    Map<String, String> props =
        pg.configProperties(dir.resolve("journal"), "public.orders,Sales.Order Items", "audit");
    props.put("audit.actor-column.public.orders", "updated_by");
    file = dir.resolve("audit.properties");
    Files.writeString(
        file,
        new TreeMap<>(props)
            .entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n")));
    RowguardConfig config = RowguardConfig.load(file);
    journal = Journal.openWriter(config.journalDir());
    capture = Capture.start(config, journal);
    pg.awaitStreaming(config);

    Random random = new Random(3);
    try (Connection c = pg.connect();
        Statement s = c.createStatement()) {
      for (int i = 1; i <= 300; i++) {
        c.setAutoCommit(false);
        switch (i % 3) {
          case 0 -> {
            Rowguard.tag(c, "alice", "new order", "REQ-" + i);
            s.execute("INSERT INTO orders VALUES (" + i + ", 'new', 10.00, NULL)");
            s.execute(
                "INSERT INTO \"Sales\".\"Order Items\" VALUES (" + i + ", 1, 'sku-" + i + "')");
            changes += 2;
          }
          case 1 -> {
            s.execute("INSERT INTO orders VALUES (" + i + ", 'new', 20.00, 'bob')");
            changes++;
          }
          default -> {
            s.execute("INSERT INTO orders VALUES (" + i + ", 'new', 30.00, NULL)");
            changes++;
          }
        }
        c.commit();
        if (i > 10 && random.nextInt(3) == 0) {
          changes +=
              s.executeUpdate(
                  "UPDATE orders SET status = 'paid', updated_by = 'carol' WHERE id = "
                      + (1 + random.nextInt(i)));
          c.commit();
        }
        if (i == 150) {
          try (ResultSet rs = s.executeQuery("SELECT now()")) {
            rs.next();
            middle = rs.getTimestamp(1).toInstant();
          }
          c.commit();
        }
      }
      aliceTx = null;
      // the bad write: a test loader rewrites every order, and says nothing about who it is
      changes += s.executeUpdate("UPDATE orders SET status = 'TEST', amount = 0");
      try (ResultSet rs = s.executeQuery("SELECT (txid_current() % 4294967296)::text")) {
        rs.next();
        massTx = rs.getString(1);
      }
      c.commit();
      // ordinary traffic goes on, some of it on the rows the loader overwrote
      for (int i = 301; i <= 330; i++) {
        Rowguard.tag(c, "alice", "new order", null);
        changes += s.executeUpdate("INSERT INTO orders VALUES (" + i + ", 'new', 10.00, NULL)");
        changes += s.executeUpdate("UPDATE orders SET status = 'fixed' WHERE id = " + (i - 300));
        c.commit();
      }
      c.setAutoCommit(true);
    }
    JournalAwait.entries(journal, changes);
    aliceTx = journal.transaction(massTx).isEmpty() ? null : massTx;
  }

  @AfterAll
  static void stop() throws Exception {
    capture.close();
    journal.close();
  }

  @Test
  void historyNamesWhoFromTheMessageFromTheColumnOrNobody() throws Exception {
    JsonNode alice =
        json(ok("history", "-c", file.toString(), "--table", "orders", "--key", "3", "--json"));
    JsonNode created = alice.get("versions").get(0);
    assertThat(created.get("actor").asText()).isEqualTo("alice");
    assertThat(created.get("actorSource").asText()).isEqualTo("message");
    assertThat(created.get("reason").asText()).isEqualTo("new order");
    assertThat(created.get("request").asText()).isEqualTo("REQ-3");

    JsonNode bob =
        json(ok("history", "-c", file.toString(), "--table", "orders", "--key", "4", "--json"));
    assertThat(bob.get("versions").get(0).get("actor").asText()).isEqualTo("bob");
    assertThat(bob.get("versions").get(0).get("actorSource").asText()).isEqualTo("column");

    Cli.Result nobody = ok("history", "-c", file.toString(), "--table", "orders", "--key", "5");
    assertThat(nobody.out()).contains("BY").contains("unattributed");
    JsonNode five =
        json(ok("history", "-c", file.toString(), "--table", "orders", "--key", "5", "--json"));
    JsonNode loaderVersion =
        five.get("versions").get(five.get("versions").size() - 2); // the mass overwrite
    assertThat(loaderVersion.get("tx").asText()).isEqualTo(massTx);
    assertThat(loaderVersion.get("actor").isNull()).isTrue();
  }

  @Test
  void auditFiltersByActorTableTransactionAndTime() throws Exception {
    JsonNode alice =
        json(ok("audit", "-c", file.toString(), "--actor", "alice", "--limit", "0", "--json"));
    assertThat(alice.get("count").asLong()).isEqualTo(100 * 2 + 30 * 2);
    for (JsonNode c : alice.get("changes")) {
      assertThat(c.get("actor").asText()).isEqualTo("alice");
      assertThat(c.get("actorSource").asText()).isEqualTo("message");
    }
    JsonNode items =
        json(
            ok(
                "audit",
                "-c",
                file.toString(),
                "--table",
                "\"Sales\".\"Order Items\"",
                "--limit",
                "0",
                "--json"));
    assertThat(items.get("count").asLong()).isEqualTo(100);
    assertThat(items.get("changes").get(0).get("table").asText())
        .isEqualTo("Sales.\"Order Items\"");

    Cli.Result csv = ok("audit", "-c", file.toString(), "--tx", massTx, "--limit", "0", "--csv");
    List<String> lines = csv.out().lines().toList();
    assertThat(lines.get(0))
        .isEqualTo(
            "seq,committed,tx,actor,actor_source,op,table,key,changed_columns,reason,backed_out_by");
    assertThat(lines).hasSize(1 + 300);
    assertThat(lines.get(1)).contains("," + massTx + ",,,update,public.orders,");

    JsonNode unattributed =
        json(
            ok(
                "audit",
                "-c",
                file.toString(),
                "--unattributed",
                "--table",
                "orders",
                "--limit",
                "0",
                "--json"));
    for (JsonNode c : unattributed.get("changes")) {
      assertThat(c.get("actor").isNull()).isTrue();
    }
    assertThat(unattributed.get("count").asLong()).isGreaterThanOrEqualTo(100 + 300);

    JsonNode early =
        json(
            ok(
                "audit",
                "-c",
                file.toString(),
                "--until",
                middle.toString(),
                "--limit",
                "0",
                "--json"));
    JsonNode late =
        json(
            ok(
                "audit",
                "-c",
                file.toString(),
                "--since",
                middle.toString(),
                "--limit",
                "0",
                "--json"));
    assertThat(early.get("count").asLong() + late.get("count").asLong())
        .isGreaterThanOrEqualTo(changes);
    for (JsonNode c : early.get("changes")) {
      assertThat(Instant.parse(c.get("committed").asText())).isBeforeOrEqualTo(middle);
    }
    for (JsonNode c : late.get("changes")) {
      assertThat(Instant.parse(c.get("committed").asText())).isAfterOrEqualTo(middle);
    }
  }

  /** Following the printed cursor page by page lists every change exactly once, newest first. */
  @Test
  void pagesFollowOneAnother() throws Exception {
    JsonNode all =
        json(ok("audit", "-c", file.toString(), "--table", "orders", "--limit", "0", "--json"));
    List<Long> expected = new ArrayList<>();
    all.get("changes").forEach(c -> expected.add(c.get("seq").asLong()));
    List<Long> paged = new ArrayList<>();
    String before = null;
    Pattern next = Pattern.compile("add --before (\\d+)");
    int pages = 0;
    while (true) {
      List<String> args =
          new ArrayList<>(
              List.of("audit", "-c", file.toString(), "--table", "orders", "--limit", "250"));
      if (before != null) {
        args.add("--before");
        args.add(before);
      }
      Cli.Result r = ok(args.toArray(String[]::new));
      pages++;
      r.out().lines().skip(1).forEach(l -> paged.add(Long.parseLong(l.split("\\s+")[0])));
      Matcher m = next.matcher(r.err());
      if (!m.find()) {
        break;
      }
      before = m.group(1);
    }
    assertThat(pages).isGreaterThan(2);
    assertThat(paged).isEqualTo(expected);
    assertThat(new HashSet<>(paged)).hasSize(paged.size());
  }

  @Test
  void incidentsPutsTheMassOverwriteFirst() throws Exception {
    Cli.Result text = ok("incidents", "-c", file.toString(), "--since", "2000-01-01T00:00:00Z");
    List<String> lines = text.out().lines().toList();
    assertThat(lines.get(2)).startsWith("1 ").contains(massTx).contains("unattributed");
    assertThat(text.out()).contains("blast-radius -c " + file + " --tx " + massTx);
    JsonNode json =
        json(ok("incidents", "-c", file.toString(), "--since", "2000-01-01T00:00:00Z", "--json"));
    JsonNode first = json.get("incidents").get(0);
    assertThat(first.get("tx").asText()).isEqualTo(massTx);
    assertThat(first.get("rows").asLong()).isEqualTo(300);
    assertThat(first.get("tables").get("public.orders").get("updated").asLong()).isEqualTo(300);
    assertThat(first.get("score").asDouble())
        .isGreaterThan(2 * json.get("incidents").get(1).get("score").asDouble());
  }

  @Test
  void blastRadiusListsTheRowsAndTheLaterWritersOfThem() throws Exception {
    JsonNode r = json(ok("blast-radius", "-c", file.toString(), "--tx", massTx, "--json"));
    assertThat(r.get("rows")).hasSize(300);
    assertThat(r.get("later")).hasSize(30);
    Set<String> laterTx = new HashSet<>();
    r.get("later").forEach(l -> laterTx.add(l.get("tx").asText()));
    for (JsonNode l : r.get("later")) {
      assertThat(l.get("actor").asText()).isEqualTo("alice");
      assertThat(l.get("rows").asLong()).isEqualTo(1);
    }
    JsonNode firstRow = r.get("rows").get(0);
    assertThat(firstRow.get("changed").toString()).contains("status").contains("amount");
    Cli.Result text = ok("blast-radius", "-c", file.toString(), "--tx", massTx, "--limit", "5");
    assertThat(text.out())
        .contains("… and 295 more rows")
        .contains("30 later transaction(s) wrote some of these rows");
    // the rows a backout would meet later work on come first, or alone
    List<String> listed = text.out().lines().filter(l -> l.startsWith("public.")).toList();
    assertThat(listed).hasSize(5).allMatch(l -> !l.strip().endsWith("-"));
    JsonNode later =
        json(ok("blast-radius", "-c", file.toString(), "--tx", massTx, "--json", "--later-only"));
    assertThat(later.get("rows")).hasSize(30);
    Cli.Result laterText =
        ok("blast-radius", "-c", file.toString(), "--tx", massTx, "--later-only", "--limit", "0");
    assertThat(laterText.out()).contains("(270 row(s) no later transaction wrote are not listed)");
  }

  @Test
  void verifyPassesWhileCaptureRuns() {
    Cli.Result r = ok("verify", "-c", file.toString());
    assertThat(r.out()).contains("verified").contains("the hash chain and every index are intact");
    assertThat(r.out()).containsPattern("head: entry \\d+, hash [0-9a-f]{64}");
  }

  @Test
  void badQueriesEndInOneLineAndExitCodeTwo() {
    for (String[] args :
        List.of(
            new String[] {"audit", "-c", file.toString(), "--since", "yesterday"},
            new String[] {"audit", "-c", file.toString(), "--limit", "-1"},
            new String[] {"audit", "-c", file.toString(), "--actor", "a", "--unattributed"},
            new String[] {"audit", "-c", file.toString(), "--json", "--csv"},
            new String[] {"audit", "-c", file.toString(), "--table", "nope"},
            new String[] {
              "audit",
              "-c",
              file.toString(),
              "--since",
              "2026-01-02T00:00:00Z",
              "--until",
              "2026-01-01T00:00:00Z"
            },
            new String[] {"incidents", "-c", file.toString()},
            new String[] {
              "incidents",
              "-c",
              file.toString(),
              "--since",
              "2026-01-01T00:00:00Z",
              "--baseline",
              "forever"
            },
            new String[] {"blast-radius", "-c", file.toString(), "--tx", "4242424242"})) {
      Cli.Result r = run(args);
      assertThat(r.exit()).as("%s: %s", String.join(" ", args), r.err()).isEqualTo(2);
      assertThat(r.err().strip().lines().count())
          .as("%s: %s", String.join(" ", args), r.err())
          .isLessThanOrEqualTo(2);
      assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  static JsonNode json(Cli.Result r) throws Exception {
    return new ObjectMapper().readTree(r.out());
  }
}
