package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rowguard.audit.Guard;
import io.rowguard.client.Rowguard;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Guard rules judge each transaction as capture journals it, and tell a webhook. */
@ExtendWith(PostgresExtension.class)
class GuardIT {
  static PostgresFixture pg;
  static HttpServer hook;
  static final List<JsonNode> received = new CopyOnWriteArrayList<>();

  @TempDir Path dir;

  @BeforeAll
  static void start(PostgresFixture fixture) throws Exception {
    pg = fixture;
    pg.exec(
        "CREATE TABLE orders (id int PRIMARY KEY, status text)",
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        "CREATE TABLE payments (id int PRIMARY KEY, amount int)",
        "ALTER TABLE payments REPLICA IDENTITY FULL",
        "INSERT INTO orders SELECT g, 'new' FROM generate_series(1, 200) g");
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hook.createContext(
        "/hook",
        exchange -> {
          received.add(new ObjectMapper().readTree(exchange.getRequestBody()));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    hook.start();
  }

  @AfterAll
  static void stop() throws Exception {
    hook.stop(0);
  }

  Path writeConfig(Map<String, String> props) throws Exception {
    return Cli.writeConfig(dir.resolve("guard-" + System.nanoTime() + ".properties"), props);
  }

  @Test
  void eachRuleIsLoggedCountedAndPostedWhileCaptureGoesOn() throws Exception {
    Map<String, String> props =
        pg.configProperties(dir.resolve("journal"), "public.orders,public.payments", "guard");
    props.put("guard.max-rows.public.orders", "100");
    props.put("guard.protected-tables", "public.payments");
    props.put("guard.require-actor", "orders");
    props.put("guard.webhook.url", "http://127.0.0.1:" + hook.getAddress().getPort() + "/hook");
    RowguardConfig config = RowguardConfig.load(writeConfig(props));
    String mass;
    String pay;
    String anonymous;
    try (Journal journal = Journal.openWriter(config.journalDir());
        Guard guard = new Guard(config.guard(), new SimpleMeterRegistry(), "test");
        Capture capture = Capture.start(config, journal, new Capture.Options(guard, false))) {
      pg.awaitStreaming(config);
      try (Connection c = pg.connect();
          Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        Rowguard.tag(c, "ops", "reprice", null);
        s.executeUpdate("UPDATE orders SET status = 'repriced' WHERE id <= 150");
        mass = txid(s);
        c.commit();
        Rowguard.tag(c, "ops", null, null);
        s.executeUpdate("INSERT INTO payments VALUES (1, 100)");
        pay = txid(s);
        c.commit();
        s.executeUpdate("UPDATE orders SET status = 'paid' WHERE id = 7");
        anonymous = txid(s);
        c.commit();
        Rowguard.tag(c, "ops", null, null);
        s.executeUpdate("UPDATE orders SET status = 'fine' WHERE id = 8");
        c.commit();
      }
      JournalAwait.entries(journal, 200 + 150 + 1 + 1 + 1);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (received.size() < 3 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(guard.violations()).isEqualTo(3);
      assertThat(capture.state()).isEqualTo(Capture.State.RUNNING);
    }
    assertThat(received)
        .extracting(n -> n.get("rule").asText(), n -> n.get("tx").asText())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("max-rows", mass),
            org.assertj.core.groups.Tuple.tuple("protected-table", pay),
            org.assertj.core.groups.Tuple.tuple("require-actor", anonymous));
    assertThat(received.get(0).get("actor").asText()).isEqualTo("ops");
    assertThat(received.get(0).get("rows").asLong()).isEqualTo(150);
    assertThat(received.get(0).get("limit").asLong()).isEqualTo(100);
    assertThat(received.get(2).get("actor").isNull()).isTrue();
  }

  @Test
  void aRuleNamingATableThatIsNotCapturedIsRefusedAtStart() throws Exception {
    Map<String, String> props = pg.configProperties(dir.resolve("j2"), "public.orders", "guard2");
    props.put("guard.protected-tables", "public.paymnets");
    Cli.Result r = Cli.run("capture", "-c", writeConfig(props).toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("guard.protected-tables names table public.paymnets, which is not captured");
  }

  static String txid(Statement s) throws Exception {
    try (ResultSet rs = s.executeQuery("SELECT (txid_current() % 4294967296)::text")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
