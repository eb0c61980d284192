package io.rowguard.connectors.internal;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.Values;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps before images whole when a table loses {@code REPLICA IDENTITY FULL} while capture runs.
 *
 * <p>Without FULL, PostgreSQL logs an update without its old row and a delete with only its key (or
 * replica-identity index) columns, the rest as NULL. Capture goes on: the journal takes what the
 * log left out from the row's previous version, which it holds whole (every change of the row since
 * its base version), and stores what it does not know as unknown ({@link Row#MISSING}), never
 * written back. The table has a gap of its before images from the first such change until the
 * setting is FULL again, and the log says how to fix it.
 *
 * <p>Which it is, is found from the changes themselves: PostgreSQL sends a table's description
 * again after its replica identity changes, so each description (a new {@link TableSchema} object)
 * is checked once, on its first update or delete, against the journal's previous version of the
 * row. A before image equal to it is FULL; one that lacks values the row had is not.
 */
final class BeforeImages {
  private static final Logger LOG = LoggerFactory.getLogger(BeforeImages.class);

  /** Per table description: true once its images were found whole, false once found partial. */
  private final Map<TableSchema, Boolean> whole = new IdentityHashMap<>();

  private final Map<TableId, Gap> open = new HashMap<>();

  /**
   * @param openGaps the journal's open gaps: those of before images carry on
   */
  BeforeImages(List<Gap> openGaps) {
    for (Gap g : openGaps) {
      if (g.table() != null && !g.changesLost()) {
        open.put(g.table(), g);
      }
    }
  }

  /** The change with its before image completed where the log left values out. */
  ChangeEvent complete(Journal.Batch batch, ChangeEvent e) {
    if (e.op() != Op.UPDATE && e.op() != Op.DELETE) {
      return e;
    }
    Boolean known = whole.get(e.schema());
    boolean logHasNone = e.before().hasUnavailable();
    if (Boolean.TRUE.equals(known) && !logHasNone) {
      return e;
    }
    Optional<Row> previous = batch.latestImage(e.table(), e.key());
    Verdict v = compare(e.before(), previous.orElse(null), logHasNone);
    switch (v) {
      case WHOLE -> {
        whole.put(e.schema(), true);
        Gap gap = open.remove(e.table());
        if (gap != null) {
          batch.closeGap(gap, e.commitMicros(), e.position());
          LOG.info(
              "{} logs full before images again (REPLICA IDENTITY FULL): its gap of before images"
                  + " ends at {}",
              e.table(),
              e.position());
        }
        return e;
      }
      case PARTIAL -> {
        whole.put(e.schema(), false);
        if (!open.containsKey(e.table())) {
          String fix = "ALTER TABLE " + POSTGRES.quote(e.table()) + " REPLICA IDENTITY FULL;";
          Gap gap =
              batch.recordGap(
                  Gap.openForTable(
                      e.table(),
                      e.commitMicros(),
                      e.position(),
                      "table "
                          + e.table()
                          + " lost REPLICA IDENTITY FULL: the log has no full before images; the"
                          + " journal takes them from each row's previous version, and stores as"
                          + " unknown what it cannot (never written back); run: "
                          + fix,
                      false));
          open.put(e.table(), gap);
          LOG.warn(
              "{} sends {}s without full before images (its REPLICA IDENTITY is not FULL):"
                  + " capture goes on, taking them from each row's previous version in the"
                  + " journal and recording a gap of before images until it is fixed; run: {}",
              e.table(),
              e.op().name().toLowerCase(java.util.Locale.ROOT),
              fix);
        }
        return e.withImages(fill(e.before(), previous.orElse(null)), e.after());
      }
      default -> {
        // nothing to compare with, or the log has values the journal differs on: the log wins
        return logHasNone ? e.withImages(fill(e.before(), null), e.after()) : e;
      }
    }
  }

  private enum Verdict {
    WHOLE,
    PARTIAL,
    UNKNOWN
  }

  /**
   * WHOLE when the log's before image equals the previous version; PARTIAL when it lacks values
   * (absent, or NULL where the row had one) and has no value of its own that differs; UNKNOWN
   * otherwise.
   */
  private static Verdict compare(Row log, Row previous, boolean logHasNone) {
    if (previous == null) {
      return logHasNone ? Verdict.PARTIAL : Verdict.UNKNOWN;
    }
    boolean lacks = logHasNone;
    for (int i = 0; i < log.size(); i++) {
      Object l = log.get(i);
      if (l == Row.UNAVAILABLE) {
        continue;
      }
      int j = previous.schema().indexOf(log.schema().column(i).name());
      Object p = j < 0 ? null : previous.get(j);
      if (Values.equal(l, p)) {
        continue;
      }
      if (l == null) {
        lacks = true;
      } else {
        return Verdict.UNKNOWN;
      }
    }
    return lacks ? Verdict.PARTIAL : Verdict.WHOLE;
  }

  /**
   * The log's image with what it left out (placeholders, and NULLs the row did not have) taken from
   * the previous version; without one, placeholders become unknown.
   */
  private static Row fill(Row log, Row previous) {
    Row out = log;
    for (int i = 0; i < log.size(); i++) {
      Object l = log.get(i);
      if (l != null && l != Row.UNAVAILABLE) {
        continue;
      }
      int j = previous == null ? -1 : previous.schema().indexOf(log.schema().column(i).name());
      if (j >= 0) {
        out = out.with(i, previous.get(j));
      } else if (l == Row.UNAVAILABLE) {
        out = out.with(i, Row.MISSING);
      }
    }
    return out;
  }
}
