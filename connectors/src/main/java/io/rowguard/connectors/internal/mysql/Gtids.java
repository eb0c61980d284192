package io.rowguard.connectors.internal.mysql;

import java.util.Map;
import java.util.TreeMap;

/**
 * A set of done transactions as GTIDs, kept as the highest sequence number per origin: MariaDB's
 * {@code domain-server-seq} per replication domain, MySQL's {@code uuid:1-n} per source server.
 * Sequence numbers within one origin only grow, so the highest says what is done.
 */
record Gtids(Map<String, Long> highest) {
  static final Gtids NONE = new Gtids(Map.of());
  private static final java.util.regex.Pattern UUID =
      java.util.regex.Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** Parses a GTID, a MariaDB GTID list, or a MySQL GTID set; anything else is empty. */
  static Gtids parse(String text) {
    Map<String, Long> out = new TreeMap<>();
    if (text == null || text.isBlank()) {
      return NONE;
    }
    for (String part : text.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      int colon = p.indexOf(':');
      try {
        if (colon > 0 && UUID.matcher(p.substring(0, colon)).matches()) {
          // MySQL: uuid:1-5:7-9
          long max = 0;
          for (String interval : p.substring(colon + 1).split(":")) {
            int dash = interval.indexOf('-');
            max = Math.max(max, Long.parseLong(dash < 0 ? interval : interval.substring(dash + 1)));
          }
          out.merge(p.substring(0, colon), max, Math::max);
        } else if (colon < 0) {
          // MariaDB: domain-server-seq
          String[] f = p.split("-");
          if (f.length == 3) {
            out.merge(f[0], Long.parseLong(f[2]), Math::max);
          }
        }
      } catch (NumberFormatException e) {
        // a binlog position, not a GTID: says nothing here
      }
    }
    return new Gtids(out);
  }

  Gtids with(Gtids other) {
    Map<String, Long> out = new TreeMap<>(highest);
    other.highest.forEach((k, v) -> out.merge(k, v, Math::max));
    return new Gtids(out);
  }

  /** Transactions of {@code mark} not done here: 0 when every one of them is. */
  long behind(Gtids mark) {
    long n = 0;
    for (Map.Entry<String, Long> e : mark.highest.entrySet()) {
      n += Math.max(0, e.getValue() - highest.getOrDefault(e.getKey(), 0L));
    }
    return n;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    highest.forEach(
        (k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append(':').append(v));
    return sb.toString();
  }
}
