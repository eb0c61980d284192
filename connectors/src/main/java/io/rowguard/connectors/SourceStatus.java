package io.rowguard.connectors;

import io.rowguard.connectors.internal.Source;
import io.rowguard.core.RowguardConfig;
import java.util.Optional;

/**
 * How far the source database is ahead of the capture, and what the capture costs it: the WAL its
 * replication slot holds back from being recycled.
 *
 * @param error why the database could not be asked, or empty
 * @param slot the replication slot's name
 * @param slotExists whether the slot exists yet
 * @param slotActive whether a capture is connected to it
 * @param serverLsn the server's current WAL position
 * @param confirmedLsn the position the capture has confirmed (everything before it is journaled)
 * @param lagBytes WAL written since the confirmed position: what capture has still to read
 * @param retainedBytes WAL the server keeps for the slot, from its {@code restart_lsn}: what the
 *     guard costs the database's disk (at least {@code lagBytes}; more while a long transaction is
 *     open, or until the server recycles)
 * @param walStatus the slot's {@code wal_status} (PostgreSQL 13 and later): {@code reserved},
 *     {@code extended}, {@code unreserved} (about to lose WAL), {@code lost}; empty before 13
 * @param maxSlotWalKeepSize {@code max_slot_wal_keep_size}: {@code -1} (unlimited) or the limit in
 *     MB past which the server drops the slot's WAL (and the journal gets a gap)
 */
public record SourceStatus(
    Optional<String> error,
    String slot,
    boolean slotExists,
    boolean slotActive,
    String serverLsn,
    String confirmedLsn,
    long lagBytes,
    long retainedBytes,
    String walStatus,
    String maxSlotWalKeepSize) {

  /** Asks the database; an unreachable one is a status with {@link #error}. */
  public static SourceStatus probe(RowguardConfig config) {
    return Source.of(config).status();
  }
}
