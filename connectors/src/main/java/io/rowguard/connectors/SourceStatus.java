package io.rowguard.connectors;

import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.postgres.PostgresPreflight;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.RowguardException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
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

  public static SourceStatus probe(RowguardConfig config) {
    String slot =
        config
            .source()
            .getOrDefault("slot.name", DebeziumSettings.defaults(config).get("slot.name"));
    try (Connection c = PostgresPreflight.connect(config)) {
      boolean hasWalStatus = version(c) >= 130000;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT pg_current_wal_lsn()::text, s.active, s.confirmed_flush_lsn::text,"
                  + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint,"
                  + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint, "
                  + (hasWalStatus ? "s.wal_status" : "''")
                  + ", "
                  + (hasWalStatus ? "current_setting('max_slot_wal_keep_size')" : "'-1'")
                  + " FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          boolean exists = rs.getObject(2) != null;
          return new SourceStatus(
              Optional.empty(),
              slot,
              exists,
              exists && rs.getBoolean(2),
              rs.getString(1),
              exists ? String.valueOf(rs.getString(3)) : "",
              exists ? rs.getLong(4) : -1,
              exists ? rs.getLong(5) : -1,
              exists && rs.getString(6) != null ? rs.getString(6) : "",
              String.valueOf(rs.getString(7)));
        }
      }
    } catch (RowguardException | SQLException e) {
      return new SourceStatus(
          Optional.of(e.getMessage()), slot, false, false, "", "", -1, -1, "", "");
    }
  }

  private static int version(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT current_setting('server_version_num')::int");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
