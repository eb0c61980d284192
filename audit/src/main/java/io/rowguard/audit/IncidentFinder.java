package io.rowguard.audit;

import io.rowguard.core.Op;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionSummary;
import io.rowguard.core.TransactionTag;
import io.rowguard.core.Undo;
import io.rowguard.journal.Journal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Ranks the transactions of a time range by how unusual they are, so that a bad write (a test
 * loader overwriting production orders, an {@code UPDATE} without {@code WHERE}) is at the top.
 *
 * <p>What is usual is learned from a baseline period ending with the range: per table, the median
 * number of rows a transaction writes; and the median number of tables a transaction touches. A
 * transaction scores by its largest table write against that table's median (updates and deletes,
 * which destroy earlier values, weigh double), by touching more tables than usual, and by writing
 * many rows with nobody attributed.
 *
 * <p>Two passes over the journal: one for the baseline, one to score; memory holds only the
 * baseline's histograms and the top of the ranking.
 */
public final class IncidentFinder {
  private final Journal journal;

  public IncidentFinder(Journal journal) {
    this.journal = journal;
  }

  /** Usual write sizes: a histogram of rows per transaction per table. */
  static final class Baseline {
    final Map<TableId, TreeMap<Long, Long>> rowsPerTx = new HashMap<>();
    final TreeMap<Long, Long> tablesPerTx = new TreeMap<>();
    long transactions;

    void add(TransactionSummary t) {
      transactions++;
      t.tables()
          .forEach(
              (table, counts) ->
                  rowsPerTx
                      .computeIfAbsent(table, x -> new TreeMap<>())
                      .merge(counts.rows(), 1L, Long::sum));
      tablesPerTx.merge((long) t.tables().size(), 1L, Long::sum);
    }

    double typicalRows(TableId table) {
      return Math.max(1, median(rowsPerTx.get(table)));
    }

    double typicalTables() {
      return Math.max(1, median(tablesPerTx));
    }

    static double median(TreeMap<Long, Long> histogram) {
      if (histogram == null || histogram.isEmpty()) {
        return 1;
      }
      long total = histogram.values().stream().mapToLong(Long::longValue).sum();
      long seen = 0;
      for (Map.Entry<Long, Long> e : histogram.entrySet()) {
        seen += e.getValue();
        if (seen * 2 >= total) {
          return e.getKey();
        }
      }
      return histogram.lastKey();
    }
  }

  /**
   * The {@code limit} most unusual transactions committed in [sinceMicros, untilMicros], judged
   * against the transactions committed in [baselineFromMicros, untilMicros].
   */
  public List<Incident> find(
      long sinceMicros,
      long untilMicros,
      long baselineFromMicros,
      int limit,
      Journal.Progress progress) {
    Baseline baseline = new Baseline();
    transactions(
        Math.min(baselineFromMicros, sinceMicros),
        untilMicros,
        baseline::add,
        progress,
        "baseline");
    PriorityQueue<Incident> top = new PriorityQueue<>(Comparator.comparingDouble(Incident::score));
    transactions(
        sinceMicros,
        untilMicros,
        t -> {
          top.add(score(t, baseline, journal.undoneBy(t.txId()).orElse(null)));
          if (top.size() > limit) {
            top.poll();
          }
        },
        progress,
        "scoring");
    List<Incident> out = new ArrayList<>(top);
    out.sort(
        Comparator.comparingDouble(Incident::score)
            .reversed()
            .thenComparing(i -> i.transaction().firstSeq()));
    return out;
  }

  static Incident score(TransactionSummary t, Baseline baseline) {
    return score(t, baseline, null);
  }

  /**
   * A transaction a later rowguard rollback undid still shows, marked and ranked a quarter as high:
   * the damage is repaired, but the cause may be worth knowing.
   */
  static Incident score(TransactionSummary t, Baseline baseline, Undo undone) {
    List<String> reasons = new ArrayList<>();
    if (undone != null) {
      reasons.add(undone.describe());
    }
    double worst = 0;
    String worstReason = null;
    for (Map.Entry<TableId, TransactionSummary.TableCounts> e : t.tables().entrySet()) {
      TransactionSummary.TableCounts c = e.getValue();
      double typical = baseline.typicalRows(e.getKey());
      double weighted = c.inserts() + 2.0 * c.overwritten();
      double s = log2(1 + weighted / typical);
      if (s > worst) {
        worst = s;
        worstReason =
            "wrote "
                + c.rows()
                + (c.rows() == 1 ? " row of " : " rows of ")
                + e.getKey()
                + " ("
                + describe(c)
                + ")"
                + (c.rows() >= 5 * typical
                    ? String.format(
                        Locale.ROOT,
                        ", %.0fx its usual %s per transaction",
                        c.rows() / typical,
                        format(typical))
                    : "");
      }
    }
    double score = worst;
    if (worstReason != null) {
      reasons.add(worstReason);
    }
    double tables = t.tables().size();
    double typicalTables = baseline.typicalTables();
    if (tables > typicalTables) {
      score += 0.5 * log2(tables / typicalTables);
      reasons.add("touched " + (long) tables + " tables, usually " + format(typicalTables));
    }
    long rows = t.rows();
    if (t.unattributed() > 0 && worst >= log2(11)) {
      score += 2;
      reasons.add("unattributed: " + t.unattributed() + " of its " + rows + " rows name no actor");
    }
    TransactionTag tag = t.tag();
    if (t.isRollback()) {
      score /= 2;
      reasons.add(
          "a rowguard rollback"
              + (tag.actor() != null ? " by " + tag.actor() : "")
              + (tag.reason() != null ? ": " + tag.reason() : ""));
    } else if (tag != null && tag.reason() != null) {
      reasons.add("says: " + tag.reason());
    }
    return new Incident(t, undone == null ? score : score / 4, reasons, undone);
  }

  private static String describe(TransactionSummary.TableCounts c) {
    List<String> parts = new ArrayList<>();
    if (c.updates() > 0) {
      parts.add(c.updates() + " updated");
    }
    if (c.deletes() > 0) {
      parts.add(c.deletes() + " deleted");
    }
    if (c.inserts() > 0) {
      parts.add(c.inserts() + " inserted");
    }
    return String.join(", ", parts);
  }

  private static String format(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : String.format(Locale.ROOT, "%.1f", d);
  }

  private static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  /**
   * Visits the transactions committed in [fromMicros, untilMicros] in commit order, skipping the
   * initial snapshot. A transaction's changes are consecutive in the journal.
   */
  void transactions(
      long fromMicros,
      long untilMicros,
      Consumer<TransactionSummary> visitor,
      Journal.Progress progress,
      String phase) {
    long start =
        journal.seqAtTime(AuditLog.safeMinus(fromMicros, AuditLog.COMMIT_ORDER_SLACK_MICROS));
    long end = journal.lastSeq();
    TransactionSummary.Builder[] current = {null};
    long[] seen = {0};
    journal.scan(
        start,
        e -> {
          if (++seen[0] % 100_000 == 0) {
            progress.update(phase, e.seq() - start, end - start);
          }
          long t = e.event().commitMicros();
          if (t > AuditLog.safePlus(untilMicros, AuditLog.COMMIT_ORDER_SLACK_MICROS)) {
            return false;
          }
          if (t < fromMicros || t > untilMicros || e.event().op() == Op.READ) {
            return true;
          }
          TransactionSummary.Builder b = current[0];
          if (b == null || !b.txId().equals(e.event().txId())) {
            emit(b, visitor);
            b = new TransactionSummary.Builder(e.event().txId());
            journal.tag(e.event().txId()).ifPresent(b::tag);
            current[0] = b;
          }
          b.add(e.seq(), e.event());
          return true;
        });
    emit(current[0], visitor);
  }

  private static void emit(TransactionSummary.Builder b, Consumer<TransactionSummary> visitor) {
    if (b != null && !b.isEmpty()) {
      visitor.accept(b.build());
    }
  }
}
