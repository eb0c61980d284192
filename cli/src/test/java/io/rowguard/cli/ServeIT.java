package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.connectors.PostgresFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API of a real capture ({@code serve.enabled=true}, its own JVM) on a shop whose traffic
 * keeps writing: the token is required, reads answer what the command line prints, and an incident
 * is undone through the API, refused while the plan shown is not the plan that would be written.
 */
class ServeIT {
  static PostgresFixture pg;
  @TempDir static Path dir;
  static Path config;
  static String base;
  static String token;
  static String metricsToken;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  static ServedShop shop;

  @BeforeAll
  static void start() throws Exception {
    shop = ServedShop.start(dir);
    pg = shop.pg;
    config = shop.config;
    base = shop.base;
    token = shop.token;
    metricsToken = shop.metricsToken;
  }

  @AfterAll
  static void stop() throws Exception {
    shop.close();
  }

  record Answer(int status, String body, java.net.http.HttpHeaders headers) {
    JsonNode json() throws Exception {
      return JSON.readTree(body);
    }
  }

  static Answer get(ServedShop on, String path) throws Exception {
    return get(on.base, path, on.token);
  }

  static Answer get(String path, String bearer) throws Exception {
    return get(base, path, bearer);
  }

  static Answer get(String base, String path, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).GET();
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers());
  }

  static Answer get(String path) throws Exception {
    return get(path, token);
  }

  static Answer post(String path, JsonNode body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body(), r.headers());
  }

  @Test
  void everyApiRequestNeedsTheTokenAndAWrongOneLearnsNothing() throws Exception {
    assertThat(Files.getPosixFilePermissions(dir.resolve("journal").resolve("serve.token")))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    for (String path :
        new String[] {"/api/status", "/api/history?table=orders&key=1", "/api/openapi.json"}) {
      for (String wrong : new String[] {null, "", token + "x", metricsToken}) {
        Answer a = get(path, wrong);
        assertThat(a.status()).as(path + " with " + wrong).isEqualTo(401);
        assertThat(a.body()).isEmpty();
      }
    }
    Answer apply = post("/api/apply", JSON.createObjectNode());
    assertThat(get("/metrics", null).status()).isEqualTo(401);
    assertThat(get("/metrics", metricsToken).status()).isEqualTo(200);
    assertThat(get("/health", metricsToken).json().get("status").asText()).isEqualTo("up");
    // the page's files hold no data, and need no token
    assertThat(get("/", null).status()).isEqualTo(200);
    assertThat(apply.status()).isEqualTo(400); // authorized, and an empty request is bad input
  }

  @Test
  void servingBeyondLoopbackDoesNotApplyAndPublicMetricsNeedNoToken() throws Exception {
    java.util.Properties props = new java.util.Properties();
    try (var in = Files.newBufferedReader(config)) {
      props.load(in);
    }
    props.setProperty("serve.listen", "0.0.0.0:0");
    props.setProperty("serve.metrics-public", "true");
    props.remove("serve.enabled");
    Map<String, String> raw = new java.util.TreeMap<>();
    props.stringPropertyNames().forEach(k -> raw.put(k, props.getProperty(k)));
    Path wide = Cli.writeConfig(dir.resolve("wide.properties"), raw);
    io.rowguard.core.RowguardConfig cfg = io.rowguard.core.RowguardConfig.load(wide);
    assertThat(cfg.serve().allowApply()).as("the default beyond loopback").isFalse();
    try (var serving =
        io.rowguard.cli.internal.http.Serving.start(
            cfg,
            Main::commandLine,
            io.rowguard.cli.internal.http.JournalAccess.readers(cfg.journalDir()),
            null,
            new java.io.PrintWriter(java.io.Writer.nullWriter()),
            java.time.Clock.systemUTC())) {
      String there = "http://127.0.0.1:" + serving.address().getPort();
      assertThat(get(there, "/metrics", null).status()).isEqualTo(200);
      assertThat(get(there, "/health", null).status()).isEqualTo(200);
      assertThat(get(there, "/api/status", null).status()).isEqualTo(401);
      assertThat(get(there, "/api/settings", token).json().get("allowApply").asBoolean()).isFalse();
      String id = get(there, "/api/plan/backout?tx=1", token).json().path("plan").asText();
      HttpResponse<String> refused =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(there + "/api/apply"))
                  .header("Authorization", "Bearer " + token)
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          JSON.createObjectNode()
                              .put("plan", id)
                              .put("operator", "x")
                              .put("reason", "y")
                              .put("confirmRows", 0)
                              .toString()))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(refused.body()).contains("serve.allow-apply");
    }
  }

  @Test
  void aPortAlreadyTakenIsOneLineOfBadInput() throws Exception {
    Cli.Result r = Cli.run("serve", "-c", config.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err().strip())
        .startsWith("rowguard: cannot listen on 127.0.0.1:")
        .contains("serve.listen")
        .hasLineCount(1);
  }

  @Test
  void readsAnswerExactlyWhatTheCommandLinePrints() throws Exception {
    String c = config.toString();
    assertThat(get("/api/history?table=public.orders&key=7").json())
        .isEqualTo(
            JSON.readTree(
                Cli.ok("history", "-c", c, "--table", "public.orders", "--key", "7", "--json")
                    .out()));
    JsonNode audit = get("/api/audit?table=orders&limit=5").json();
    assertThat(audit)
        .isEqualTo(
            JSON.readTree(
                Cli.ok("audit", "-c", c, "--table", "orders", "--limit", "5", "--json").out()));
    String tx = audit.get("changes").get(0).get("tx").asText();
    assertThat(get("/api/blast-radius?tx=" + tx).json())
        .isEqualTo(JSON.readTree(Cli.ok("blast-radius", "-c", c, "--tx", tx, "--json").out()));
    Answer csv = get("/api/audit?table=orders&limit=3&format=csv");
    assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
    assertThat(csv.body().lines().count()).isEqualTo(4);
    Answer bad = get("/api/history?table=public.orders&key=7&apply=true");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").asText()).contains("unknown parameter 'apply'");
    Answer noTable = get("/api/history?table=public.nope&key=7");
    assertThat(noTable.status()).isEqualTo(400);
    assertThat(noTable.json().get("error").asText()).contains("public.nope");
  }

  @Test
  void anIncidentIsFoundPlannedAndUndoneThroughTheApiWhileTrafficWrites() throws Exception {
    shop.startTraffic();
    try {
      shop.testLoaderOverwritesOrders();
      String bad = awaitIncident("test-loader");
      // production writes one of those rows again after the loader
      pg.exec("UPDATE orders SET status = 'refunded' WHERE id = 150");
      // later work wins: the cells written again since are left alone
      Answer plan = get("/api/plan/backout?on-conflict=skip&tx=" + bad);
      assertThat(plan.status()).as(plan.body()).isEqualTo(200);
      JsonNode shown = plan.json();
      assertThat(shown.get("rows").size()).isEqualTo(50);
      ObjectNode cli =
          (ObjectNode)
              JSON.readTree(
                  Cli.ok(
                          "backout",
                          "-c",
                          config.toString(),
                          "--on-conflict",
                          "skip",
                          "--tx",
                          bad,
                          "--json")
                      .out());
      cli.put("plan", shown.get("plan").asText());
      assertThat(shown).as("the plan the API shows is the command line's").isEqualTo(cli);

      ObjectNode apply = JSON.createObjectNode();
      apply.put("plan", shown.get("plan").asText());
      apply.put("operator", "oncall");
      apply.put("reason", "INC-7 test loader hit production");
      apply.put("confirmRows", 49);
      Answer miscounted = post("/api/apply", apply);
      assertThat(miscounted.status()).isEqualTo(400);
      assertThat(miscounted.json().get("error").asText()).contains("the plan has 50 rows");

      // the row changes again between showing and applying: the plan is not the one shown
      pg.exec("UPDATE orders SET total = 1 WHERE id = 120");
      apply.put("confirmRows", 50);
      Answer changed = post("/api/apply", apply);
      assertThat(changed.status()).as(changed.body()).isEqualTo(409);
      JsonNode diff = changed.json().get("difference");
      assertThat(diff.get("changed").size()).isEqualTo(1);
      assertThat(diff.get("changed").get(0).get("now").get("key").toString()).contains("120");
      assertThat(queryInt("SELECT count(*) FROM orders WHERE status = 'test'")).isEqualTo(49);

      JsonNode replanned = changed.json().get("plan");
      apply.put("plan", replanned.get("plan").asText());
      apply.put("confirmRows", replanned.get("rows").size());
      Answer done = post("/api/apply", apply);
      assertThat(done.status()).as(done.body()).isEqualTo(200);
      assertThat(done.json().get("applied").asBoolean()).isTrue();
    } finally {
      shop.stopTraffic();
    }
    // cell by cell: the loader's values are gone, the later writes stay
    assertThat(queryInt("SELECT count(*) FROM orders WHERE status = 'test'")).isZero();
    assertThat(
            queryInt(
                "SELECT count(*) FROM orders WHERE id BETWEEN 101 AND 149 AND total = id * 1.5"))
        .isEqualTo(48); // 120's total was written again after the loader: kept
    assertThat(queryString("SELECT status FROM orders WHERE id = 150")).isEqualTo("refunded");
    assertThat(queryInt("SELECT count(*) FROM orders WHERE id >= 1000")).isPositive();
    awaitMetric("rowguard_rollbacks_applied_total", 1);
  }

  @Test
  void metricsAndReadinessTellHowCaptureIsDoing() throws Exception {
    String metrics = get("/metrics", metricsToken).body();
    assertThat(metrics)
        .contains("rowguard_changes_journaled_total{operation=\"insert\",table=\"public.orders\"}")
        .contains("rowguard_journal_size_bytes")
        .contains("rowguard_source_lag_bytes")
        .contains("rowguard_source_retained_bytes")
        .contains("rowguard_commit_journal_lag_seconds")
        .contains("jvm_memory_used_bytes");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    Answer ready = get("/ready", metricsToken);
    while (ready.status() != 200 && System.nanoTime() < deadline) {
      Thread.sleep(500);
      ready = get("/ready", metricsToken);
    }
    assertThat(ready.status()).as(ready.body()).isEqualTo(200);
    assertThat(ready.json().get("lagSeconds").asDouble()).isLessThan(20);
  }

  @Test
  void theOpenApiDescriptionDescribesEveryRealAnswer() throws Exception {
    pg.exec("UPDATE customers SET name = 'renamed' WHERE id = 5");
    String tx = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (tx == null && System.nanoTime() < deadline) {
      JsonNode versions = get("/api/history?table=customers&key=5").json().get("versions");
      tx = versions.size() > 1 ? versions.get(1).get("tx").asText() : null;
      Thread.sleep(100);
    }
    assertThat(tx).isNotNull();
    String snapshotTx =
        get("/api/history?table=orders&key=7").json().get("versions").get(0).get("tx").asText();
    Map<String, String> calls = new java.util.LinkedHashMap<>();
    calls.put("/api/status", "");
    calls.put("/api/history", "table=customers&key=5");
    calls.put("/api/audit", "table=customers&limit=5");
    calls.put("/api/transaction", "tx=" + tx);
    calls.put("/api/incidents", "since=1h");
    calls.put("/api/blast-radius", "tx=" + tx);
    calls.put("/api/plan/rollback", "table=orders&key=7&before-tx=" + snapshotTx);
    calls.put("/api/plan/backout", "tx=" + tx);
    calls.put("/api/settings", "");
    // each answer is kept under target/ for people to look at
    Path samples = Path.of("target", "api-samples");
    Files.createDirectories(samples);
    Map<String, JsonNode> answers = new java.util.LinkedHashMap<>();
    for (Map.Entry<String, String> call : calls.entrySet()) {
      Answer a = get(call.getKey() + (call.getValue().isEmpty() ? "" : "?" + call.getValue()));
      assertThat(a.status()).as(call.getKey() + ": " + a.body()).isEqualTo(200);
      Files.writeString(
          samples.resolve(call.getKey().substring(5).replace('/', '-') + ".json"), a.body());
      answers.put(call.getKey(), a.json());
    }
    JsonNode api = get("/api/openapi.json").json();
    assertThat(api.path("openapi").asText()).startsWith("3.1");
    answers.forEach((path, answer) -> assertMatches(api, path, "get", "200", answer));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> assertMatches(api, "/api/history", "get", "200", JSON.createObjectNode()))
        .as("the check can fail")
        .isInstanceOf(AssertionError.class);
    assertThat(io.rowguard.cli.internal.http.Endpoint.READS.keySet())
        .allSatisfy(path -> assertThat(api.get("paths").has(path)).as(path).isTrue());
    Answer bad = get("/api/history?table=nope&key=1");
    assertMatches(api, "/api/history", "get", "400", bad.json());
    Answer unknownPlan =
        post(
            "/api/apply",
            JSON.createObjectNode()
                .put("plan", "nope")
                .put("operator", "x")
                .put("reason", "y")
                .put("confirmRows", 1));
    assertMatches(api, "/api/apply", "post", "400", unknownPlan.json());
    assertMatches(api, "/ready", "get", "200", get("/ready", metricsToken).json());
  }

  /** Validates {@code answer} against the schema the description gives for it. */
  static void assertMatches(
      JsonNode api, String path, String method, String status, JsonNode answer) {
    JsonNode response = api.path("paths").path(path).path(method).path("responses").path(status);
    assertThat(response.isMissingNode())
        .as(method + " " + path + " " + status + " is described")
        .isFalse();
    ObjectNode schemaDoc = api.deepCopy();
    schemaDoc.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    schemaDoc.set(
        "allOf",
        JSON.createArrayNode()
            .add(response.path("content").path("application/json").path("schema")));
    var schema =
        com.networknt.schema.JsonSchemaFactory.getInstance(
                com.networknt.schema.SpecVersion.VersionFlag.V202012)
            .getSchema(schemaDoc);
    assertThat(schema.validate(answer))
        .as(method + " " + path + " " + status + ": " + answer)
        .isEmpty();
  }

  static String awaitIncident(String actor) throws Exception {
    return awaitIncident(shop, actor);
  }

  static String awaitIncident(ServedShop on, String actor) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      Answer a = get(on, "/api/incidents?since=1h");
      assertThat(a.status()).as(a.body()).isEqualTo(200);
      for (JsonNode i : a.json().get("incidents")) {
        if (i.path("actors").toString().contains("\"" + actor + "\"")) {
          return i.get("tx").asText();
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no incident by " + actor);
  }

  static void awaitMetric(String name, double atLeast) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : get("/metrics", metricsToken).body().lines().toList()) {
        if (line.startsWith(name + " ") && Double.parseDouble(line.split(" ")[1]) >= atLeast) {
          return;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError(name + " did not reach " + atLeast);
  }

  static int queryInt(String sql) throws Exception {
    return queryInt(shop, sql);
  }

  static int queryInt(ServedShop on, String sql) throws Exception {
    return Integer.parseInt(queryString(on, sql));
  }

  static String queryString(String sql) throws Exception {
    return queryString(shop, sql);
  }

  static String queryString(ServedShop on, String sql) throws Exception {
    try (Connection c = on.pg.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
