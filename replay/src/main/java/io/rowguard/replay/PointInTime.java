package io.rowguard.replay;

/** The moment to go back to. */
public sealed interface PointInTime {
  /** The state committed at or before this time (microseconds since the epoch, UTC). */
  record At(long micros) implements PointInTime {}

  /** The state just before this transaction committed. */
  record BeforeTx(String txId) implements PointInTime {}
}
