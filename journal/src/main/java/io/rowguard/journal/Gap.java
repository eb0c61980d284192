package io.rowguard.journal;

import io.rowguard.core.TableId;
import java.util.Optional;

/**
 * A stretch of the source's history the journal does not hold whole, recorded so that nothing is
 * missing silently (invariant 9).
 *
 * <p>Most gaps lose changes: the journal never received what the source committed in them (after a
 * restore from an older backup or a lost replication slot, for the whole journal; for one table,
 * before it was first captured or while it could not be captured). Row states inside such a gap are
 * unknown, so nothing is rolled back to a moment inside one. Other gaps lose only before images (a
 * table without {@code REPLICA IDENTITY FULL}): every change is journaled, its before image taken
 * from the row's previous version; rows the journal cannot complete that way hold unknown values
 * that are never written back.
 *
 * @param seq the gap record's sequence number: changes before it precede the gap
 * @param table the table the gap is in; null for the whole journal
 * @param fromMicros the last commit the journal has before the gap (0: from the beginning)
 * @param toMicros when the gap ended: every lost change committed before this; {@link
 *     Long#MAX_VALUE} while the gap is still open
 * @param fromPosition the source position the gap starts at
 * @param toPosition the source position it ends at; empty while open
 * @param reason why the gap exists, with what ends it
 * @param changesLost whether changes are missing (rollbacks into the gap refused) or only before
 *     images
 */
public record Gap(
    long seq,
    TableId table,
    long fromMicros,
    long toMicros,
    String fromPosition,
    String toPosition,
    String reason,
    boolean changesLost) {

  /** A gap of the whole journal in which changes were lost. */
  public Gap(
      long seq,
      long fromMicros,
      long toMicros,
      String fromPosition,
      String toPosition,
      String reason) {
    this(seq, null, fromMicros, toMicros, fromPosition, toPosition, reason, true);
  }

  /** A gap of one table that is still open: it ends when what caused it is fixed. */
  public static Gap openForTable(
      TableId table, long fromMicros, String fromPosition, String reason, boolean changesLost) {
    return new Gap(0, table, fromMicros, Long.MAX_VALUE, fromPosition, "", reason, changesLost);
  }

  /** True when {@code micros} falls inside the gap, where row states are unknown. */
  public boolean covers(long micros) {
    return micros > fromMicros && micros < toMicros;
  }

  /** True when the gap concerns {@code t}: it is the table's, or the whole journal's. */
  public boolean concerns(TableId t) {
    return table == null || table.equals(t);
  }

  public boolean isOpen() {
    return toMicros == Long.MAX_VALUE;
  }

  public Optional<TableId> tableId() {
    return Optional.ofNullable(table);
  }

  /** This gap, closed at {@code micros} and {@code position}. */
  public Gap closedAt(long micros, String position) {
    return new Gap(seq, table, fromMicros, micros, fromPosition, position, reason, changesLost);
  }

  /** The same gap as recorded at {@code recordSeq}. */
  Gap at(long recordSeq) {
    return new Gap(
        recordSeq, table, fromMicros, toMicros, fromPosition, toPosition, reason, changesLost);
  }
}
