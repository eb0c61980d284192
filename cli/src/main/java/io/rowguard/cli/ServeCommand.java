package io.rowguard.cli;

import io.rowguard.cli.internal.StopSignal;
import io.rowguard.cli.internal.http.JournalAccess;
import io.rowguard.cli.internal.http.Serving;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve the web page, the HTTP API and Prometheus metrics of one journal, until stopped"
          + " (SIGTERM or Ctrl-C). Works beside a running capture; or set serve.enabled=true to"
          + " serve from capture's own process.",
      "",
      "Listens on serve.listen (default 127.0.0.1:8787). Every API request needs the bearer token"
          + " kept in <journal.dir>/serve.token (made on first start, mode 0600; shown once when"
          + " started from a terminal). /metrics, /health and /ready take the token in"
          + " <journal.dir>/metrics.token, or none with serve.metrics-public=true.",
      "",
      "The API answers what the commands' --json print (GET /api/status, /api/history,"
          + " /api/audit, /api/transaction, /api/incidents, /api/blast-radius, /api/plan/rollback,"
          + " /api/plan/backout; GET /api/openapi.json describes them). POST /api/apply applies a"
          + " plan it showed, only if planning again gives the same plan, under the same checks as"
          + " --apply; serve.allow-apply=false switches it off (the default beyond loopback)."
    },
    footer = {
      "",
      "Config keys (beside source.* and journal.dir):",
      "  serve.listen=127.0.0.1:8787    host:port; 0.0.0.0:8787 for every address",
      "  serve.allow-apply=true         apply through the API (default: loopback only)",
      "  serve.metrics-public=false     true: /metrics, /health, /ready need no token",
      "  serve.ready-max-lag=60s        /ready fails while capture is slower than this",
      "  serve.enabled=true             `capture` serves all this from its own process",
      "",
      "Examples:",
      "  rowguard serve -c shop.properties",
      "  curl -H \"Authorization: Bearer $(cat /var/lib/rowguard/shop/serve.token)\" \\",
      "       'http://127.0.0.1:8787/api/history?table=public.orders&key=42'"
    })
final class ServeCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Spec CommandSpec spec;

  Clock clock = Clock.systemUTC();

  @Override
  public Integer call() throws Exception {
    RowguardConfig cfg = config.load();
    Journal.checkReadable(cfg.journalDir());
    try (StopSignal stop = StopSignal.install("rowguard serve", Duration.ofSeconds(10));
        Serving serving =
            Serving.start(
                cfg,
                Main::commandLine,
                JournalAccess.readers(cfg.journalDir()),
                null,
                spec.commandLine().getOut(),
                clock)) {
      while (!stop.await(1, TimeUnit.SECONDS)) {
        // serving on the server's threads
      }
    }
    return Main.OK;
  }
}
