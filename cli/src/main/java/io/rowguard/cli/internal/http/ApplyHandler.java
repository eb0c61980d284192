package io.rowguard.cli.internal.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.rowguard.cli.internal.Json;
import io.rowguard.core.InputException;
import io.rowguard.core.ServeSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code POST /api/apply}: a plan the API showed, written only while it is still that plan. */
final class ApplyHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ApplyHandler.class);

  private final ServeSettings settings;
  private final CommandRunner commands;
  private final Plans plans;
  private final ServeMetrics metrics;
  private final boolean captureInProcess;
  private final Object applying = new Object();

  ApplyHandler(
      ServeSettings settings,
      CommandRunner commands,
      Plans plans,
      ServeMetrics metrics,
      boolean captureInProcess) {
    this.settings = settings;
    this.commands = commands;
    this.plans = plans;
    this.metrics = metrics;
    this.captureInProcess = captureInProcess;
  }

  /**
   * Applies a plan shown before: planned again and written only if it is still the plan shown (409
   * with the difference when not), under the same checks as {@code --apply}.
   */
  int apply(HttpExchange x) throws IOException {
    if (!settings.allowApply()) {
      return Exchanges.error(
          x,
          403,
          "applying is switched off here (serve.allow-apply=false, the default when serving beyond"
              + " this machine): apply with the command line, or set serve.allow-apply=true");
    }
    JsonNode body = Exchanges.body(x);
    String id = Exchanges.text(body, "plan");
    String operator = Exchanges.text(body, "operator");
    String reason = Exchanges.text(body, "reason");
    if (!body.path("confirmRows").canConvertToLong()) {
      throw new InputException("confirmRows: repeat the plan's number of rows");
    }
    long confirm = body.path("confirmRows").asLong();
    Plans.Shown shown =
        plans
            .find(id)
            .orElseThrow(
                () ->
                    new InputException(
                        "no plan "
                            + id
                            + " was shown in the last hour: plan it again (GET /api/plan/...)"));
    if (confirm != shown.rows()) {
      throw new InputException(
          "confirmRows is "
              + confirm
              + " but the plan has "
              + shown.rows()
              + " rows: nothing was written");
    }
    List<String> args = new ArrayList<>(shown.args());
    args.add("--apply");
    args.add("--expect-plan=" + shown.digest());
    args.add("--operator=" + operator);
    args.add("--reason=" + reason);
    CommandRunner.Outcome o;
    synchronized (applying) { // one apply at a time: each plans against the other's result
      LOG.info("Applying plan {} ({} rows) for {}: {}", id, shown.rows(), operator, reason);
      o = commands.run(shown.command(), args);
    }
    if (o.exit() == 0) {
      if (!captureInProcess) {
        metrics.applied();
      }
      return Exchanges.send(x, 200, Exchanges.JSON, o.out().getBytes(StandardCharsets.UTF_8));
    }
    if (o.exit() != 3) {
      return Exchanges.error(x, o.exit() == 2 ? 400 : 500, o.message());
    }
    JsonNode doc = Json.parse(o.out());
    ObjectNode answer = Json.NODES.objectNode();
    if (doc.has("aborted")) {
      answer.put(
          "error",
          "conflicts: rows moved on since the journal's last version of them; nothing was written");
      answer.set("result", doc);
    } else {
      Plans.Shown now = plans.remember(shown.command(), shown.args(), o.out(), doc);
      answer.put(
          "error",
          "the plan changed since it was shown; nothing was written. Review the new plan ("
              + now.id()
              + ") and apply it if it is right");
      answer.set("difference", Plans.difference(shown.doc(), doc));
      answer.set("plan", doc);
    }
    return Exchanges.json(x, 409, answer);
  }
}
