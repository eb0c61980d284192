package io.rowguard.cli.internal.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.rowguard.cli.internal.Json;
import io.rowguard.core.InputException;
import io.rowguard.core.ServeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * rowguard's HTTP server: the API ({@code /api/*}, the API token), the page (its files hold no data
 * and need no token; everything it shows comes through the API), {@code /metrics}, {@code /health}
 * and {@code /ready} (the metrics token, or none with {@code serve.metrics-public}).
 *
 * <p>The JDK's own server: a handful of routes on a loopback port need no framework (see
 * docs/decisions.md).
 */
public final class ApiServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
  private static final Map<String, String> ASSETS =
      Map.of(
          "/", "index.html",
          "/index.html", "index.html",
          "/app.js", "app.js",
          "/app.css", "app.css",
          "/favicon.svg", "favicon.svg");

  private final ServeSettings settings;
  private final Tokens tokens;
  private final CommandRunner commands;
  private final Plans plans;
  private final ServeMetrics metrics;
  private final Health health;
  private final boolean captureInProcess;
  private final Clock clock;
  private final HttpServer server;
  private final ExecutorService workers;
  private final ApplyHandler applying;

  private ApiServer(
      ServeSettings settings,
      Tokens tokens,
      CommandRunner commands,
      ServeMetrics metrics,
      Health health,
      boolean captureInProcess,
      Clock clock)
      throws IOException {
    this.settings = settings;
    this.tokens = tokens;
    this.commands = commands;
    this.plans = new Plans(clock);
    this.applying = new ApplyHandler(settings, commands, plans, metrics, captureInProcess);
    this.metrics = metrics;
    this.health = health;
    this.captureInProcess = captureInProcess;
    this.clock = clock;
    this.server = HttpServer.create(settings.address(), 64);
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "rowguard-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(workers);
    server.createContext("/", this::handle);
  }

  /**
   * Starts serving.
   *
   * @param captureInProcess capture runs in this process and counts rollbacks as it journals them
   */
  public static ApiServer start(
      ServeSettings settings,
      Tokens tokens,
      CommandRunner commands,
      ServeMetrics metrics,
      Health health,
      boolean captureInProcess,
      Clock clock) {
    try {
      ApiServer s =
          new ApiServer(settings, tokens, commands, metrics, health, captureInProcess, clock);
      s.server.start();
      return s;
    } catch (java.net.BindException e) {
      throw new InputException(
          "cannot listen on "
              + settings.host()
              + ":"
              + settings.port()
              + " ("
              + e.getMessage()
              + "): is another rowguard serving there? Set serve.listen to a free port");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the HTTP server", e);
    }
  }

  /** Where it listens (the port chosen when {@code serve.listen} asked for port 0). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public void close() {
    server.stop(1);
    workers.shutdownNow();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange x) throws IOException {
    long started = System.nanoTime();
    int status = 500;
    try {
      status = route(x);
    } catch (InputException e) {
      status = Exchanges.error(x, 400, e.getMessage());
    } catch (CommandRunner.TooLarge e) {
      status = Exchanges.error(x, 413, e.getMessage());
    } catch (RuntimeException e) {
      LOG.warn("{} {} failed", x.getRequestMethod(), x.getRequestURI().getPath(), e);
      status = Exchanges.error(x, 500, e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      x.close();
      LOG.debug(
          "{} {} -> {} in {} ms",
          x.getRequestMethod(),
          x.getRequestURI().getPath(),
          status,
          (System.nanoTime() - started) / 1_000_000);
    }
  }

  private int route(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getPath();
    String method = x.getRequestMethod();
    x.getResponseHeaders().set("Cache-Control", "no-store");
    x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if (ASSETS.containsKey(path)) {
      return method.equals("GET") ? asset(x, ASSETS.get(path)) : notAllowed(x);
    }
    if (path.equals("/metrics") || path.equals("/health") || path.equals("/ready")) {
      if (!settings.metricsPublic()
          && !authorized(x, tokens.metrics())
          && !authorized(x, tokens.api())) {
        return unauthorized(x);
      }
      if (!method.equals("GET")) {
        return notAllowed(x);
      }
      return switch (path) {
        case "/metrics" ->
            Exchanges.send(
                x,
                200,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(StandardCharsets.UTF_8));
        case "/health" -> Exchanges.json(x, 200, Json.NODES.objectNode().put("status", "up"));
        default -> ready(x);
      };
    }
    if (!path.startsWith("/api/")) {
      return Exchanges.error(x, 404, "no such page: " + path);
    }
    if (!authorized(x, tokens.api())) {
      return unauthorized(x);
    }
    if (path.equals("/api/apply")) {
      return method.equals("POST") ? applying.apply(x) : notAllowed(x);
    }
    if (!method.equals("GET")) {
      return notAllowed(x);
    }
    if (path.equals("/api/openapi.json")) {
      return asset(x, "openapi.json");
    }
    if (path.equals("/api/settings")) {
      return Exchanges.json(
          x,
          200,
          Json.NODES
              .objectNode()
              .put("allowApply", settings.allowApply())
              .put("captureInProcess", captureInProcess));
    }
    Endpoint e = Endpoint.READS.get(path);
    if (e == null) {
      return Exchanges.error(
          x, 404, "no such endpoint: " + path + " (GET /api/openapi.json lists them)");
    }
    List<String> args = e.args(x.getRequestURI().getRawQuery(), clock);
    CommandRunner.Outcome o = commands.run(e.command(), args);
    if (o.exit() != 0) {
      return failed(x, o);
    }
    if (args.contains("--csv")) {
      x.getResponseHeaders().set("Content-Disposition", "attachment; filename=\"audit.csv\"");
      return Exchanges.send(
          x, 200, "text/csv; charset=utf-8", o.out().getBytes(StandardCharsets.UTF_8));
    }
    if (e.plans()) {
      plans.remember(e.command(), args, o.out(), Json.parse(o.out()));
    }
    return Exchanges.send(x, 200, Exchanges.JSON, o.out().getBytes(StandardCharsets.UTF_8));
  }

  private int ready(HttpExchange x) throws IOException {
    var why = health.notReady();
    ObjectNode doc = Json.NODES.objectNode().put("ready", why.isEmpty());
    double lag = health.lagSeconds();
    if (!Double.isNaN(lag)) {
      doc.put("lagSeconds", lag);
    }
    why.ifPresent(w -> doc.put("why", w));
    return Exchanges.json(x, why.isEmpty() ? 200 : 503, doc);
  }

  private int failed(HttpExchange x, CommandRunner.Outcome o) throws IOException {
    int status =
        switch (o.exit()) {
          case 2 -> 400;
          case 3 -> 409;
          default -> 500;
        };
    return Exchanges.error(x, status, o.message());
  }

  private static boolean authorized(HttpExchange x, String token) {
    String h = x.getRequestHeaders().getFirst("Authorization");
    return h != null && h.startsWith("Bearer ") && Tokens.matches(token, h.substring(7).strip());
  }

  private static int unauthorized(HttpExchange x) throws IOException {
    x.getResponseHeaders().set("WWW-Authenticate", "Bearer");
    x.sendResponseHeaders(401, -1);
    return 401;
  }

  private static int notAllowed(HttpExchange x) throws IOException {
    return Exchanges.error(x, 405, x.getRequestMethod() + " is not allowed here");
  }

  private int asset(HttpExchange x, String name) throws IOException {
    try (InputStream in = ApiServer.class.getResourceAsStream("/io/rowguard/cli/web/" + name)) {
      if (in == null) {
        return Exchanges.error(x, 404, "no such file: " + name);
      }
      String type =
          name.endsWith(".html")
              ? "text/html; charset=utf-8"
              : name.endsWith(".js")
                  ? "text/javascript; charset=utf-8"
                  : name.endsWith(".css")
                      ? "text/css; charset=utf-8"
                      : name.endsWith(".svg") ? "image/svg+xml" : Exchanges.JSON;
      x.getResponseHeaders()
          .set(
              "Content-Security-Policy",
              "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
      x.getResponseHeaders().set("X-Frame-Options", "DENY");
      x.getResponseHeaders().set("Referrer-Policy", "no-referrer");
      return Exchanges.send(x, 200, type, in.readAllBytes());
    }
  }
}
