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
 * How far the source database is ahead of the capture: its current WAL position and the replication
 * slot's confirmed position.
 *
 * @param error why the database could not be asked, or empty
 * @param slot the replication slot's name
 * @param slotExists whether the slot exists yet
 * @param slotActive whether a capture is connected to it
 * @param serverLsn the server's current WAL position
 * @param confirmedLsn the position the capture has confirmed (everything before it is journaled)
 * @param lagBytes WAL bytes the server holds for the capture
 */
public record SourceStatus(
    Optional<String> error,
    String slot,
    boolean slotExists,
    boolean slotActive,
    String serverLsn,
    String confirmedLsn,
    long lagBytes) {

  public static SourceStatus probe(RowguardConfig config) {
    String slot =
        config
            .source()
            .getOrDefault("slot.name", DebeziumSettings.defaults(config).get("slot.name"));
    try (Connection c = PostgresPreflight.connect(config);
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT pg_current_wal_lsn()::text, s.active, s.confirmed_flush_lsn::text,"
                    + " pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint"
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
            exists ? rs.getLong(4) : -1);
      }
    } catch (RowguardException | SQLException e) {
      return new SourceStatus(Optional.of(e.getMessage()), slot, false, false, "", "", -1);
    }
  }
}
