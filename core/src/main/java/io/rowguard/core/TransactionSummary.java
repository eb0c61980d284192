package io.rowguard.core;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one committed transaction did, table by table: the unit that guard rules judge and incident
 * ranking scores.
 *
 * @param txId the transaction
 * @param commitMicros its commit time
 * @param firstSeq the journal sequence number of its first change
 * @param tag its rowguard message, or null
 * @param actors every actor its changes are attributed to
 * @param tables what it did to each table
 */
public record TransactionSummary(
    String txId,
    long commitMicros,
    long firstSeq,
    TransactionTag tag,
    Set<String> actors,
    Map<TableId, TableCounts> tables) {

  public TransactionSummary {
    Objects.requireNonNull(txId, "txId");
    actors = Collections.unmodifiableSet(new TreeSet<>(actors));
    tables = Collections.unmodifiableMap(new TreeMap<>(tables));
  }

  /** Rows a transaction wrote in one table. */
  public record TableCounts(long inserts, long updates, long deletes, long unattributed) {
    public long rows() {
      return inserts + updates + deletes;
    }

    /** Updates and deletes: rows that existed before and were changed. */
    public long overwritten() {
      return updates + deletes;
    }
  }

  public long rows() {
    return tables.values().stream().mapToLong(TableCounts::rows).sum();
  }

  public long unattributed() {
    return tables.values().stream().mapToLong(TableCounts::unattributed).sum();
  }

  public boolean isRollback() {
    return tag != null && tag.isRollback();
  }

  /** "alice", "alice, bob", or "unattributed". */
  public String actorText() {
    return actors.isEmpty() ? "unattributed" : String.join(", ", actors);
  }

  /**
   * Adds up a transaction's changes in order. Its rowguard message may come at any point: the
   * attribution is settled when the summary is built.
   */
  public static final class Builder {
    private final String txId;
    private long commitMicros;
    private long firstSeq = -1;
    private TransactionTag tag;
    private final Set<String> columnActors = new TreeSet<>();
    private final Map<TableId, long[]> tables = new TreeMap<>();

    public Builder(String txId) {
      this.txId = Objects.requireNonNull(txId, "txId");
    }

    public String txId() {
      return txId;
    }

    /** Keeps the first message that names an actor, else the first. */
    public Builder tag(TransactionTag t) {
      if (tag == null || (tag.actor() == null && t.actor() != null)) {
        tag = t;
      }
      return this;
    }

    /** Counts a change; {@code seq} is its journal sequence number. */
    public Builder add(long seq, ChangeEvent change) {
      if (firstSeq < 0) {
        firstSeq = seq;
      }
      commitMicros = change.commitMicros();
      long[] c = tables.computeIfAbsent(change.table(), t -> new long[4]);
      switch (change.op()) {
        case INSERT, READ -> c[0]++;
        case UPDATE -> c[1]++;
        case DELETE, TRUNCATE, ABSENT -> c[2]++;
      }
      if (change.actor() != null) {
        columnActors.add(change.actor());
      } else {
        c[3]++;
      }
      return this;
    }

    public boolean isEmpty() {
      return tables.isEmpty();
    }

    public TransactionSummary build() {
      boolean byMessage = tag != null && tag.actor() != null;
      Map<TableId, TableCounts> counts = new TreeMap<>();
      tables.forEach(
          (t, c) -> counts.put(t, new TableCounts(c[0], c[1], c[2], byMessage ? 0 : c[3])));
      Set<String> actors = byMessage ? Set.of(tag.actor()) : columnActors;
      return new TransactionSummary(txId, commitMicros, firstSeq, tag, actors, counts);
    }
  }
}
