package io.rowguard.audit.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.rowguard.audit.Violation;
import io.rowguard.core.ValueFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs violations as JSON from one daemon thread. A full queue drops (and counts) new violations
 * rather than wait; a failed POST is retried twice with a growing pause, then dropped and counted.
 */
public final class Webhook implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int QUEUE = 1_000;
  private static final int ATTEMPTS = 3;

  private final URI url;
  private final Map<String, String> headers;
  private final Duration timeout;
  private final String source;
  private final HttpClient client;
  private final BlockingQueue<Violation> queue = new ArrayBlockingQueue<>(QUEUE);
  private final Thread sender;
  private final AtomicLong failures = new AtomicLong();
  private final Counter dropped;
  private final Counter failed;
  private volatile boolean closing;

  public Webhook(
      URI url,
      Map<String, String> headers,
      Duration timeout,
      String source,
      MeterRegistry registry) {
    this.url = url;
    this.headers = Map.copyOf(headers);
    this.timeout = timeout;
    this.source = source;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
    this.dropped =
        Counter.builder("rowguard.guard.webhook.dropped")
            .description("violations not sent because the webhook queue was full")
            .register(registry);
    this.failed =
        Counter.builder("rowguard.guard.webhook.failed")
            .description("violations whose webhook POST failed after retries")
            .register(registry);
    // the HTTP client refuses some headers (Host, Connection, ...): say so now, not per request
    HttpRequest.Builder probe = HttpRequest.newBuilder(url);
    this.headers.forEach(
        (name, value) -> {
          try {
            probe.header(name, value);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                "guard.webhook.header." + name + " cannot be set: " + e.getMessage(), e);
          }
        });
    this.sender = new Thread(this::run, "rowguard-webhook");
    sender.setDaemon(true);
    sender.start();
  }

  /** Queues a violation; never blocks. */
  public void offer(Violation v) {
    if (!queue.offer(v)) {
      dropped.increment();
      failures.incrementAndGet();
      LOG.warn("guard webhook queue is full ({}); dropped a violation of tx {}", QUEUE, v.txId());
    }
  }

  public long failures() {
    return failures.get();
  }

  private void run() {
    while (!closing || !queue.isEmpty()) {
      Violation v;
      try {
        v = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        return;
      }
      if (v != null) {
        try {
          send(v);
        } catch (RuntimeException e) {
          failed.increment();
          failures.incrementAndGet();
          LOG.warn("guard webhook {} failed for tx {}: {}", url, v.txId(), e.toString());
        }
      }
    }
  }

  private void send(Violation v) {
    String body = body(v);
    String problem = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(url)
              .timeout(timeout)
              .header("Content-Type", "application/json")
              .header("User-Agent", "rowguard")
              .POST(HttpRequest.BodyPublishers.ofString(body));
      headers.forEach(request::header);
      try {
        HttpResponse<Void> response =
            client.send(request.build(), HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() / 100 == 2) {
          return;
        }
        problem = "HTTP " + response.statusCode();
      } catch (IOException e) {
        problem =
            e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      if (attempt < ATTEMPTS && !closing) {
        try {
          Thread.sleep(500L << attempt);
        } catch (InterruptedException e) {
          return;
        }
      }
    }
    failed.increment();
    failures.incrementAndGet();
    LOG.warn("guard webhook {} failed for tx {}: {}", url, v.txId(), problem);
  }

  String body(Violation v) {
    ObjectNode n = JSON.createObjectNode();
    n.put("rule", v.rule());
    n.put("table", v.table().toString());
    n.put("tx", v.txId());
    n.put("committed", ValueFormat.instant(v.commitMicros()));
    n.put("actor", v.actor());
    n.put("rows", v.rows());
    if (v.limit() >= 0) {
      n.put("limit", v.limit());
    }
    n.put("message", v.message());
    n.put("source", source);
    try {
      return JSON.writeValueAsString(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Sends what is queued, for up to a few seconds, then stops. */
  @Override
  public void close() {
    closing = true;
    try {
      sender.join(TimeUnit.SECONDS.toMillis(5) + timeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    sender.interrupt();
  }
}
