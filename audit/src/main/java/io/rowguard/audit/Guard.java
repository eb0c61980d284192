package io.rowguard.audit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.rowguard.audit.internal.Webhook;
import io.rowguard.core.GuardRules;
import io.rowguard.core.InputException;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionListener;
import io.rowguard.core.TransactionSummary;
import io.rowguard.core.ValueFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each journaled transaction against the guard rules: a transaction writing more than N rows
 * of a table, any write to a protected table, a write nobody is attributed for where an actor is
 * required. A violation is logged as a warning, counted ({@code rowguard.guard.violations}, tagged
 * with the rule and table) and, with a webhook, POSTed as JSON.
 *
 * <p>Rules cost a few map lookups per transaction on the capture's thread; the webhook is called on
 * its own thread through a bounded queue, so neither slows capture nor can stop it.
 */
public final class Guard implements TransactionListener, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

  private final GuardRules rules;
  private final MeterRegistry registry;
  private final Webhook webhook;
  private final AtomicLong violations = new AtomicLong();

  /**
   * @param rules the rules
   * @param registry where violations are counted
   * @param source names the guarded database in webhook payloads (host:port/database)
   */
  public Guard(GuardRules rules, MeterRegistry registry, String source) {
    this.rules = rules;
    this.registry = registry;
    try {
      this.webhook =
          rules.webhook() == null
              ? null
              : new Webhook(
                  rules.webhook(),
                  rules.webhookHeaders(),
                  rules.webhookTimeout(),
                  source,
                  registry);
    } catch (IllegalArgumentException e) {
      throw new InputException(e.getMessage());
    }
  }

  @Override
  public void journaled(TransactionSummary t) {
    for (Violation v : check(t)) {
      violations.incrementAndGet();
      Counter.builder("rowguard.guard.violations")
          .description("transactions that broke a guard rule")
          .tag("rule", v.rule())
          .tag("table", v.table().toString())
          .register(registry)
          .increment();
      LOG.warn("guard: {}", v.message());
      if (webhook != null) {
        webhook.offer(v);
      }
    }
  }

  /** The rules {@code t} breaks. */
  public List<Violation> check(TransactionSummary t) {
    List<Violation> out = new ArrayList<>();
    String actor = t.actors().isEmpty() ? null : String.join(", ", t.actors());
    String who = actor == null ? "nobody attributed" : "by " + actor;
    String wrote =
        "transaction "
            + t.txId()
            + " (%s, committed "
            + ValueFormat.instant(t.commitMicros())
            + ") wrote %s of %s";
    for (Map.Entry<TableId, TransactionSummary.TableCounts> e : t.tables().entrySet()) {
      TableId table = e.getKey();
      long rows = e.getValue().rows();
      Long max = rules.maxRows().get(table).orElse(null);
      if (max != null && rows > max) {
        out.add(
            violation(
                "max-rows",
                t,
                table,
                actor,
                rows,
                max,
                String.format(wrote, who, rows(rows), table)
                    + ", more than guard.max-rows allows ("
                    + max
                    + ")"));
      }
      if (rules.protectedTables().matches(table)) {
        out.add(
            violation(
                "protected-table",
                t,
                table,
                actor,
                rows,
                -1,
                String.format(wrote, who, rows(rows), "protected table " + table)
                    + (t.isRollback() ? " (a rowguard rollback)" : "")));
      }
      long unattributed = e.getValue().unattributed();
      if (unattributed > 0 && rules.requireActor().matches(table)) {
        out.add(
            violation(
                "require-actor",
                t,
                table,
                actor,
                unattributed,
                -1,
                String.format(wrote, "nobody attributed", rows(unattributed), table)
                    + " without an actor, which guard.require-actor requires"));
      }
    }
    return out;
  }

  private static Violation violation(
      String rule,
      TransactionSummary t,
      TableId table,
      String actor,
      long rows,
      long limit,
      String message) {
    return new Violation(rule, table, t.txId(), t.commitMicros(), actor, rows, limit, message);
  }

  private static String rows(long n) {
    return n == 1 ? "1 row" : n + " rows";
  }

  /** Violations seen since start. */
  public long violations() {
    return violations.get();
  }

  /** Webhook calls that failed for good since start. */
  public long webhookFailures() {
    return webhook == null ? 0 : webhook.failures();
  }

  /** Waits a little for queued webhook calls, then stops. */
  @Override
  public void close() {
    if (webhook != null) {
      webhook.close();
    }
  }
}
