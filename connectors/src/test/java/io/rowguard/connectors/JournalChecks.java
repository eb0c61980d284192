package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.Values;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.List;

/** Comparisons of two journals of one database, built different ways. */
public final class JournalChecks {
  private JournalChecks() {}

  /** The journal's streamed changes (every entry but snapshot rows), in journal order. */
  public static List<JournalEntry> streamed(Journal j) {
    List<JournalEntry> out = new ArrayList<>();
    j.refresh();
    j.scan(
        1,
        e -> {
          if (e.event().op() != Op.READ) {
            out.add(e);
          }
          return true;
        });
    return out;
  }

  /**
   * The same changes in the same order: table, operation, key, transaction, position, commit time,
   * and every column's value before and after (matched by name).
   */
  public static void sameChanges(List<JournalEntry> want, List<JournalEntry> got) {
    assertThat(got).hasSameSizeAs(want);
    for (int i = 0; i < want.size(); i++) {
      var w = want.get(i).event();
      var g = got.get(i).event();
      String what = "change " + i + " (" + w.table() + " " + w.op() + " " + w.key() + ")";
      assertThat(g.table()).as(what).isEqualTo(w.table());
      assertThat(g.op()).as(what).isEqualTo(w.op());
      assertThat(g.key()).as(what).isEqualTo(w.key());
      assertThat(g.txId()).as(what).isEqualTo(w.txId());
      assertThat(g.position()).as(what).isEqualTo(w.position());
      assertThat(g.commitMicros()).as(what).isEqualTo(w.commitMicros());
      sameRow(what + " before", w.before(), g.before());
      sameRow(what + " after", w.after(), g.after());
    }
  }

  private static void sameRow(String what, Row want, Row got) {
    if (want == null || got == null) {
      assertThat(got).as(what).isEqualTo(want);
      return;
    }
    for (int i = 0; i < want.size(); i++) {
      String column = want.schema().column(i).name();
      assertThat(Values.equal(want.get(i), got.get(column)))
          .as(what + " " + column + ": " + want.get(i) + " vs " + got.get(column))
          .isTrue();
    }
  }
}
