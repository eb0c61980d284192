package io.rowguard.audit;

import io.rowguard.core.Attribution;
import io.rowguard.core.InputException;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionSummary;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What one transaction touched, and who touched the same rows after it: the rows a backout of it
 * would put back, and the later writers a backout would conflict with.
 */
public final class BlastRadius {
  private final Journal journal;

  public BlastRadius(Journal journal) {
    this.journal = journal;
  }

  /**
   * A row the transaction wrote.
   *
   * @param change its change to the row (the last one, when it wrote the row twice)
   * @param changedColumns what that change changed
   * @param laterTransactions transactions that wrote the row after it, oldest first
   */
  public record TouchedRow(
      JournalEntry change, List<String> changedColumns, List<String> laterTransactions) {}

  /**
   * A later transaction that wrote some of the same rows.
   *
   * @param txId the transaction
   * @param commitMicros when it committed
   * @param attribution who made it (of its first change to one of the rows)
   * @param rows how many of the rows it wrote
   * @param tables in which tables
   */
  public record LaterTransaction(
      String txId, long commitMicros, Attribution attribution, long rows, Set<TableId> tables) {}

  /**
   * The whole picture.
   *
   * @param transaction what the transaction did
   * @param attribution who made it
   * @param later the later transactions, oldest first
   */
  public record Result(
      TransactionSummary transaction,
      Attribution attribution,
      Collection<LaterTransaction> later) {}

  /**
   * Streams the rows {@code txId} touched to {@code rows}; returns the summary and later writers.
   */
  public Result of(String txId, Consumer<TouchedRow> rows) {
    List<JournalEntry> own = new ArrayList<>();
    journal.forEachOfTransaction(txId, false, e -> own.add(e) || true);
    if (own.isEmpty()) {
      throw new InputException(
          "unknown transaction "
              + txId
              + ": the journal has no change of it (transaction ids are shown by `rowguard"
              + " audit` and `rowguard history`)");
    }
    TransactionSummary.Builder summary = new TransactionSummary.Builder(txId);
    journal.tag(txId).ifPresent(summary::tag);
    Map<RowId, JournalEntry> lastOwn = new LinkedHashMap<>();
    for (JournalEntry e : own) {
      summary.add(e.seq(), e.event());
      lastOwn.put(new RowId(e.event().table(), e.event().key()), e);
    }
    long lastSeq = own.get(own.size() - 1).seq();
    Map<String, long[]> laterRows = new LinkedHashMap<>();
    Map<String, LaterTransaction> later = new LinkedHashMap<>();
    for (Map.Entry<RowId, JournalEntry> row : lastOwn.entrySet()) {
      Set<String> writers = new LinkedHashSet<>();
      for (JournalEntry v : journal.history(row.getKey().table(), row.getKey().key())) {
        String tx = v.event().txId();
        if (v.seq() <= lastSeq || tx.equals(txId) || !writers.add(tx)) {
          continue;
        }
        laterRows.computeIfAbsent(tx, t -> new long[1])[0]++;
        LaterTransaction known = later.get(tx);
        Set<TableId> tables = known == null ? new LinkedHashSet<>() : known.tables();
        tables.add(row.getKey().table());
        if (known == null) {
          later.put(
              tx,
              new LaterTransaction(
                  tx, v.event().commitMicros(), journal.attribution(v), 0, tables));
        }
      }
      rows.accept(
          new TouchedRow(
              row.getValue(), row.getValue().event().changedColumns(), List.copyOf(writers)));
    }
    List<LaterTransaction> ordered = new ArrayList<>();
    later.values().stream()
        .sorted(java.util.Comparator.comparingLong(LaterTransaction::commitMicros))
        .forEach(
            l ->
                ordered.add(
                    new LaterTransaction(
                        l.txId(),
                        l.commitMicros(),
                        l.attribution(),
                        laterRows.get(l.txId())[0],
                        Set.copyOf(l.tables()))));
    return new Result(summary.build(), journal.attribution(own.get(0)), ordered);
  }

  private record RowId(TableId table, RowKey key) {}
}
