package io.rowguard.connectors.internal.kafka;

import org.apache.kafka.connect.data.Struct;

/**
 * Where a change lies in the source's log, from its {@code source} block, for ordering records of
 * different topics: PostgreSQL's {@code sequence} (the last commit's LSN, then the change's; the
 * commit order, which LSNs alone are not when transactions overlap), or a binlog file, position and
 * row.
 */
record SourceOrder(String file, long first, long second) implements Comparable<SourceOrder> {
  static final SourceOrder NONE = new SourceOrder("", 0, 0);

  static SourceOrder of(Struct source) {
    if (source == null) {
      return NONE;
    }
    if (source.schema().field("sequence") != null && source.get("sequence") != null) {
      // ["24023928","24023984"]: either may be null
      String[] parts = source.getString("sequence").replaceAll("[\\[\\]\" ]", "").split(",");
      if (parts.length == 2) {
        return new SourceOrder("", number(parts[0]), number(parts[1]));
      }
    }
    if (source.schema().field("lsn") != null && source.get("lsn") != null) {
      return new SourceOrder("", 0, ((Number) source.get("lsn")).longValue());
    }
    if (source.schema().field("file") != null && source.get("file") != null) {
      Object pos = source.get("pos");
      Object row = source.schema().field("row") == null ? null : source.get("row");
      return new SourceOrder(
          source.getString("file"),
          pos == null ? 0 : ((Number) pos).longValue(),
          row == null ? 0 : ((Number) row).longValue());
    }
    return NONE;
  }

  private static long number(String s) {
    return s.isEmpty() || s.equals("null") ? 0 : Long.parseLong(s);
  }

  @Override
  public int compareTo(SourceOrder o) {
    int c = file.compareTo(o.file);
    if (c != 0) {
      return c;
    }
    c = Long.compare(first, o.first);
    return c != 0 ? c : Long.compare(second, o.second);
  }
}
