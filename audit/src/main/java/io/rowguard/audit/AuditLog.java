package io.rowguard.audit;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Answers "who changed what, when": the journal's changes, newest first, filtered by table, actor,
 * transaction and time, one page at a time and streamed to the caller, so memory does not grow with
 * the answer.
 *
 * <p>The narrowest index drives each query: a transaction's own index, an actor's, a table's by
 * time, else the log itself from the newest change down to the start of the time range.
 */
public final class AuditLog {
  /**
   * Concurrent commits can reach the log a little out of time order; a scan by time goes this far
   * past its bound before it stops.
   */
  static final long COMMIT_ORDER_SLACK_MICROS = 60_000_000L;

  private final Journal journal;

  public AuditLog(Journal journal) {
    this.journal = journal;
  }

  /**
   * What a query returned.
   *
   * @param rows the changes listed
   * @param next the cursor of the next page ({@link AuditQuery#before}), if there is more
   */
  public record Page(long rows, OptionalLong next) {}

  /** Streams the changes of {@code query} to {@code sink}, newest first. */
  public Page run(AuditQuery q, Consumer<AuditRow> sink) {
    long since = q.sinceMicros().orElse(Long.MIN_VALUE);
    long until = q.untilMicros().orElse(Long.MAX_VALUE);
    long[] count = {0};
    long[] last = {0};
    boolean[] more = {false};
    // the table index pages by (commit time, seq) itself; the others are in seq order
    boolean bySeq = q.txId().isPresent() || q.actor().isPresent() || q.table().isEmpty();
    Predicate<JournalEntry> visitor =
        e -> {
          ChangeEvent c = e.event();
          if (bySeq && e.seq() >= q.beforeSeq()) {
            return true;
          }
          if (c.commitMicros() < since) {
            // past the start of the range, give or take commits that raced each other
            return c.commitMicros() >= safeMinus(since, COMMIT_ORDER_SLACK_MICROS);
          }
          if (c.commitMicros() > until
              || (q.table().isPresent() && !q.table().get().equals(c.table()))
              || (q.txId().isPresent() && !q.txId().get().equals(c.txId()))) {
            return true;
          }
          Attribution a = journal.attribution(e);
          if ((q.actor().isPresent() && !q.actor().get().equals(a.actor()))
              || (q.unattributed() && a.isAttributed())) {
            return true;
          }
          if (q.limit() > 0 && count[0] == q.limit()) {
            more[0] = true;
            return false;
          }
          sink.accept(new AuditRow(e, a, c.changedColumns()));
          count[0]++;
          last[0] = e.seq();
          return true;
        };
    if (q.txId().isPresent()) {
      journal.forEachOfTransaction(q.txId().get(), true, visitor);
    } else if (q.actor().isPresent()) {
      journal.forEachOfActor(q.actor().get(), q.beforeSeq(), visitor);
    } else if (q.table().isPresent()) {
      journal.forEachOfTable(
          q.table().get(),
          since,
          until == Long.MAX_VALUE ? Long.MAX_VALUE : until + 1,
          true,
          q.beforeSeq(),
          visitor);
    } else {
      long from = q.beforeSeq() == Long.MAX_VALUE ? Long.MAX_VALUE : q.beforeSeq() - 1;
      if (until != Long.MAX_VALUE) {
        from = Math.min(from, journal.seqAtTime(safePlus(until, COMMIT_ORDER_SLACK_MICROS)));
      }
      journal.scanBackward(from, visitor);
    }
    return new Page(count[0], more[0] ? OptionalLong.of(last[0]) : OptionalLong.empty());
  }

  static long safeMinus(long a, long b) {
    return a < Long.MIN_VALUE + b ? Long.MIN_VALUE : a - b;
  }

  static long safePlus(long a, long b) {
    return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
  }
}
