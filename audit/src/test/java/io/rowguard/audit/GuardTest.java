package io.rowguard.audit;

import static io.rowguard.audit.Shop.CUSTOMERS;
import static io.rowguard.audit.Shop.ORDERS;
import static io.rowguard.audit.Shop.by;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.GuardRules;
import io.rowguard.core.Op;
import io.rowguard.core.PerTable;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableMatcher;
import io.rowguard.core.TransactionSummary;
import io.rowguard.core.TransactionTag;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GuardTest {
  static TransactionSummary tx(
      String id, TransactionTag tag, TableId table, int rows, String columnActor) {
    TransactionSummary.Builder b = new TransactionSummary.Builder(id);
    if (tag != null) {
      b.tag(tag);
    }
    var schema = table.equals(ORDERS) ? Shop.ORDER_SCHEMA : Shop.CUSTOMER_SCHEMA;
    for (int i = 0; i < rows; i++) {
      b.add(
          i + 1,
          new ChangeEvent(
              schema,
              Op.UPDATE,
              Row.of(schema, i, "a", null),
              Row.of(schema, i, "b", columnActor),
              Shop.START,
              id,
              "0/1",
              i,
              columnActor));
    }
    return b.build();
  }

  static GuardRules rules(URI webhook) {
    return new GuardRules(
        new PerTable<>(Map.of(ORDERS, 100L), 1_000L),
        TableMatcher.parse("public.customers"),
        TableMatcher.parse("orders"),
        webhook,
        Map.of("Authorization", "Bearer s3cret"),
        Duration.ofSeconds(2));
  }

  @Test
  void eachRuleFiresOnlyWhereItApplies() {
    Guard guard = new Guard(rules(null), new SimpleMeterRegistry(), "db");
    assertThat(guard.check(tx("1", by("alice"), ORDERS, 100, null))).isEmpty();
    assertThat(guard.check(tx("2", by("alice"), ORDERS, 101, null)))
        .extracting(Violation::rule, Violation::rows, Violation::limit)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("max-rows", 101L, 100L));
    assertThat(guard.check(tx("3", by("alice"), CUSTOMERS, 1, null)))
        .extracting(Violation::rule)
        .containsExactly("protected-table");
    assertThat(guard.check(tx("4", null, ORDERS, 3, null)))
        .extracting(Violation::rule, Violation::rows)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("require-actor", 3L));
    assertThat(guard.check(tx("5", null, ORDERS, 3, "bob"))).isEmpty(); // the column names bob
    assertThat(guard.check(tx("6", null, CUSTOMERS, 1_001, null)))
        .extracting(Violation::rule)
        .containsExactly("max-rows", "protected-table");
    assertThat(guard.check(tx("7", by("alice"), ORDERS, 101, null)).get(0).message())
        .isEqualTo(
            "transaction 7 (by alice, committed 2027-01-15T08:00:00Z) wrote 101 rows of"
                + " public.orders, more than guard.max-rows allows (100)");
  }

  @Test
  void violationsAreCountedAndPostedAsJson() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> auth = new CopyOnWriteArrayList<>();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          auth.add(exchange.getRequestHeaders().getFirst("Authorization"));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.start();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Guard guard =
        new Guard(
            rules(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook")),
            registry,
            "127.0.0.1:5432/shop")) {
      guard.journaled(tx("41", null, ORDERS, 150, null));
      guard.journaled(tx("42", by("alice"), ORDERS, 1, null));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (bodies.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(guard.violations()).isEqualTo(2);
      assertThat(
              registry
                  .get("rowguard.guard.violations")
                  .tag("rule", "max-rows")
                  .tag("table", "public.orders")
                  .counter()
                  .count())
          .isEqualTo(1.0);
    } finally {
      server.stop(0);
    }
    assertThat(bodies).hasSize(2);
    assertThat(auth).containsOnly("Bearer s3cret");
    JsonNode first = new ObjectMapper().readTree(bodies.get(0));
    assertThat(first.path("rule").asText()).isEqualTo("max-rows");
    assertThat(first.path("table").asText()).isEqualTo("public.orders");
    assertThat(first.path("tx").asText()).isEqualTo("41");
    assertThat(first.path("rows").asLong()).isEqualTo(150);
    assertThat(first.path("limit").asLong()).isEqualTo(100);
    assertThat(first.path("actor").isNull()).isTrue();
    assertThat(first.path("source").asText()).isEqualTo("127.0.0.1:5432/shop");
    assertThat(new ObjectMapper().readTree(bodies.get(1)).path("rule").asText())
        .isEqualTo("require-actor");
  }

  @Test
  void aHeaderTheHttpClientRefusesIsABadConfigAtStart() {
    GuardRules bad =
        new GuardRules(
            new PerTable<>(Map.of(), null),
            TableMatcher.NONE,
            TableMatcher.NONE,
            URI.create("http://127.0.0.1:9/hook"),
            Map.of("Host", "elsewhere"),
            Duration.ofSeconds(1));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new Guard(bad, new SimpleMeterRegistry(), "db"))
        .isInstanceOf(io.rowguard.core.InputException.class)
        .hasMessageContaining("guard.webhook.header.Host cannot be set");
  }

  @Test
  void aWebhookThatFailsIsCountedAndNeverBlocks() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/hook",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
        });
    server.start();
    try (Guard guard =
        new Guard(
            rules(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook")),
            new SimpleMeterRegistry(),
            "db")) {
      long start = System.nanoTime();
      for (int i = 0; i < 2_000; i++) {
        guard.journaled(tx("t" + i, null, CUSTOMERS, 1, null));
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      assertThat(guard.webhookFailures()).isGreaterThan(0); // the queue overflowed
      assertThat(guard.violations()).isEqualTo(2_000);
    } finally {
      server.stop(0);
    }
  }
}
