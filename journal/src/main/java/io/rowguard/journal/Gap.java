package io.rowguard.journal;

/**
 * Changes the source committed that the journal never received: after a restore from a backup older
 * than what the source still holds, capture can continue only past them. Row states inside a gap
 * are unknown, so nothing is rolled back to a moment inside one.
 *
 * @param seq the gap record's sequence number: changes before it precede the gap
 * @param fromMicros the last commit the journal has before the gap
 * @param toMicros when capture resumed: every lost change committed before this
 * @param fromPosition the source position the journal ended at
 * @param toPosition the source position capture resumed from
 * @param reason why the gap exists
 */
public record Gap(
    long seq,
    long fromMicros,
    long toMicros,
    String fromPosition,
    String toPosition,
    String reason) {

  /** True when {@code micros} falls inside the gap, where row states are unknown. */
  public boolean covers(long micros) {
    return micros > fromMicros && micros < toMicros;
  }
}
