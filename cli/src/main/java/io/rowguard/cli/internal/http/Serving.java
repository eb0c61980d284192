package io.rowguard.cli.internal.http;

import io.rowguard.cli.internal.Logging;
import io.rowguard.core.RowguardConfig;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * The HTTP API, page and metrics of one journal, started together and closed in order: for {@code
 * rowguard serve}, and inside {@code capture} with {@code serve.enabled=true}.
 */
public final class Serving implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Serving.class);

  /** What one API answer may hold in memory. */
  static final long MAX_ANSWER_CHARS = 256L << 20;

  private final Health health;
  private final ServeMetrics metrics;
  private final ApiServer server;

  private Serving(Health health, ServeMetrics metrics, ApiServer server) {
    this.health = health;
    this.metrics = metrics;
    this.server = server;
  }

  /**
   * Starts serving {@code config}'s journal.
   *
   * @param commands a fresh {@code rowguard} command line, for the API's answers
   * @param journal the journal as this process reads it
   * @param capture why capture in this process is not streaming (empty when it is); null when
   *     capture runs elsewhere
   * @param out where the address (and a new token, on a terminal) is printed
   */
  public static Serving start(
      RowguardConfig config,
      Supplier<CommandLine> commands,
      JournalAccess journal,
      Supplier<Optional<String>> capture,
      PrintWriter out,
      Clock clock) {
    Logging.serving();
    Tokens tokens = Tokens.loadOrCreate(config.journalDir());
    Health health = new Health(config, journal, capture == null ? Optional::empty : capture, clock);
    ServeMetrics metrics = new ServeMetrics(config, journal, health, clock);
    ApiServer server;
    try {
      server =
          ApiServer.start(
              config.serve(),
              tokens,
              new CommandRunner(commands, config.file(), MAX_ANSWER_CHARS),
              metrics,
              health,
              capture != null,
              clock);
    } catch (RuntimeException e) {
      health.close();
      throw e;
    }
    String url =
        "http://"
            + (server.address().getAddress().isAnyLocalAddress()
                ? "127.0.0.1"
                : server.address().getHostString())
            + ":"
            + server.address().getPort()
            + "/";
    LOG.info(
        "Serving the API, the page and /metrics on {} (applying {}); the API token is in {}",
        url,
        config.serve().allowApply() ? "allowed" : "switched off",
        config.journalDir().resolve(Tokens.API_FILE));
    if (tokens.created() && System.console() != null) {
      // shown once, on a terminal only: a service's stdout is a log, and tokens are never logged
      out.println(
          "API token (new; shown once, kept in "
              + config.journalDir().resolve(Tokens.API_FILE)
              + "):");
      out.println("  " + tokens.api());
      out.println("Open " + url + "#token=" + tokens.api());
      out.flush();
    }
    return new Serving(health, metrics, server);
  }

  public java.net.InetSocketAddress address() {
    return server.address();
  }

  public ServeMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    server.close();
    health.close();
  }
}
