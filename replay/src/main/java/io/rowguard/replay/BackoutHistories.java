package io.rowguard.replay;

import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a value-by-value backout composes for each row it touches: the row's versions from the first
 * listed change of it on, oldest first. The listed changes are in hand; only the others are read,
 * whichever way reads less: a seek of the row index per row, or, when the log from the first listed
 * change on holds fewer other changes than half the rows (a bad write caught soon, the usual case),
 * one pass over those changes.
 */
final class BackoutHistories implements AutoCloseable {
  private final Journal journal;

  /** Per row, the changes after its first listed one that are not listed, when read in a pass. */
  private final Map<Planner.RowId, List<JournalEntry>> others;

  private Journal.RowVersions seeks;

  /**
   * @param touched each row the listed transactions changed, with those changes, oldest first
   */
  BackoutHistories(Journal journal, Map<Planner.RowId, List<JournalEntry>> touched) {
    this.journal = journal;
    long from = Long.MAX_VALUE;
    int listed = 0;
    for (List<JournalEntry> ofRow : touched.values()) {
      from = Math.min(from, ofRow.get(0).seq());
      listed += ofRow.size();
    }
    long unlisted = journal.lastSeq() - from + 1 - listed;
    int rows = touched.size();
    this.others = rows > 0 && unlisted <= rows / 2 ? readInOnePass(touched, from, listed) : null;
  }

  private Map<Planner.RowId, List<JournalEntry>> readInOnePass(
      Map<Planner.RowId, List<JournalEntry>> touched, long from, int listed) {
    long[] skip = new long[listed];
    int n = 0;
    for (List<JournalEntry> ofRow : touched.values()) {
      for (JournalEntry e : ofRow) {
        skip[n++] = e.seq();
      }
    }
    java.util.Arrays.sort(skip);
    Map<Planner.RowId, List<JournalEntry>> out = new HashMap<>();
    journal.scanExcept(
        from,
        skip,
        e -> {
          Planner.RowId row = new Planner.RowId(e.event().table(), e.event().key());
          List<JournalEntry> ofRow = touched.get(row);
          if (ofRow != null && e.seq() >= ofRow.get(0).seq()) {
            out.computeIfAbsent(row, r -> new ArrayList<>(2)).add(e);
          }
          return true;
        });
    return out;
  }

  /**
   * The row's versions from its first listed change on, oldest first.
   *
   * @param listed the listed changes of the row, oldest first
   */
  List<JournalEntry> of(Planner.RowId row, List<JournalEntry> listed) {
    if (others != null) {
      List<JournalEntry> later = others.get(row);
      return later == null ? listed : merged(listed, later);
    }
    if (seeks == null) {
      seeks = journal.rowVersions();
    }
    long[] seqs = seeks.of(row.table(), row.key(), listed.get(0).seq());
    List<JournalEntry> history = new ArrayList<>(seqs.length);
    int i = 0;
    for (long s : seqs) {
      if (i < listed.size() && listed.get(i).seq() == s) {
        history.add(listed.get(i++));
      } else {
        history.add(journal.entry(s));
      }
    }
    return history;
  }

  private static List<JournalEntry> merged(List<JournalEntry> a, List<JournalEntry> b) {
    List<JournalEntry> out = new ArrayList<>(a.size() + b.size());
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      if (j == b.size() || (i < a.size() && a.get(i).seq() < b.get(j).seq())) {
        out.add(a.get(i++));
      } else {
        out.add(b.get(j++));
      }
    }
    return out;
  }

  /** True when the histories were read in one pass over the log (for tests). */
  boolean readInOnePass() {
    return others != null;
  }

  @Override
  public void close() {
    if (seeks != null) {
      seeks.close();
    }
  }
}
