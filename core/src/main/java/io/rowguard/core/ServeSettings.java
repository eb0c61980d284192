package io.rowguard.core;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The HTTP API, web page and metrics ({@code serve.*}).
 *
 * @param enabled {@code capture} serves them too, from its own process ({@code serve.enabled})
 * @param host the address to listen on ({@code serve.listen}, default 127.0.0.1:8787)
 * @param port the port; 0 picks a free one
 * @param allowApply rollbacks and backouts can be applied through the API ({@code
 *     serve.allow-apply}; default true on a loopback address, false beyond it)
 * @param metricsPublic {@code /metrics}, {@code /health} and {@code /ready} need no token ({@code
 *     serve.metrics-public}, default false: they take the metrics token or the API token)
 * @param readyMaxLag {@code /ready} fails while the journal is further behind the database than
 *     this ({@code serve.ready-max-lag}, default 60s)
 */
public record ServeSettings(
    boolean enabled,
    String host,
    int port,
    boolean allowApply,
    boolean metricsPublic,
    Duration readyMaxLag) {

  public static final String PREFIX = "serve.";
  public static final int DEFAULT_PORT = 8787;

  /** Every {@code serve.*} key rowguard knows. */
  public static final List<String> KEYS =
      List.of(
          "serve.allow-apply",
          "serve.enabled",
          "serve.listen",
          "serve.metrics-public",
          "serve.ready-max-lag");

  /** True when {@link #host} is a loopback address: only this machine can connect. */
  public boolean loopback() {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(host, port);
  }

  static ServeSettings parse(String where, Map<String, String> raw) {
    TreeSet<String> unknown = new TreeSet<>();
    for (String key : raw.keySet()) {
      if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
        unknown.add(key);
      }
    }
    ConfigException.refuseUnknown(where, unknown, "the API's keys: " + String.join(", ", KEYS));
    String listen = raw.getOrDefault("serve.listen", "").trim();
    String[] hp =
        listen.isEmpty()
            ? new String[] {"127.0.0.1", String.valueOf(DEFAULT_PORT)}
            : hostPort(where, listen);
    String host = hp[0];
    int port = Integer.parseInt(hp[1]);
    boolean loopback = new ServeSettings(false, host, port, false, false, Duration.ZERO).loopback();
    Duration maxLag = Duration.ofSeconds(60);
    String lag = raw.getOrDefault("serve.ready-max-lag", "").trim();
    if (!lag.isEmpty()) {
      try {
        maxLag = Durations.parse(lag, "serve.ready-max-lag");
      } catch (InputException e) {
        throw new ConfigException(where + e.getMessage());
      }
    }
    return new ServeSettings(
        ConfigException.flag(where, raw, "serve.enabled", false),
        host,
        port,
        ConfigException.flag(where, raw, "serve.allow-apply", loopback),
        ConfigException.flag(where, raw, "serve.metrics-public", false),
        maxLag);
  }

  /** host:port, [v6]:port or :port (all addresses); the port 0-65535. */
  private static String[] hostPort(String where, String value) {
    int colon = value.lastIndexOf(':');
    String host = colon < 0 ? value : value.substring(0, colon);
    String port = colon < 0 ? "" : value.substring(colon + 1);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      host = "0.0.0.0";
    }
    try {
      int p = Integer.parseInt(port);
      if (p < 0 || p > 65535 || host.isBlank()) {
        throw new NumberFormatException();
      }
      return new String[] {host, String.valueOf(p)};
    } catch (NumberFormatException e) {
      throw new ConfigException(
          where
              + "serve.listen="
              + value
              + " is not host:port (e.g. 127.0.0.1:8787, or 0.0.0.0:8787 for every address)");
    }
  }
}
