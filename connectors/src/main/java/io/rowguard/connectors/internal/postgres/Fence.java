package io.rowguard.connectors.internal.postgres;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalLong;

/**
 * A mark in the source's log, and the journal's position against it: everything committed before
 * the mark is journaled once the journal's position has passed it.
 */
public final class Fence {
  /** The logical message prefix of a fence; capture journals nothing for it. */
  public static final String PREFIX = "rowguard-fence";

  private Fence() {}

  /**
   * Writes the mark (a transactional logical message, so that capture receives it however idle the
   * captured tables are) and returns its position.
   */
  public static long mark(RowguardConfig config) {
    try (Connection c = PostgresPreflight.connect(config);
        PreparedStatement ps =
            c.prepareStatement("SELECT pg_logical_emit_message(true, ?, '') - '0/0'::pg_lsn")) {
      ps.setString(1, PREFIX);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
  }

  /** The log position the journal holds everything before; empty before its first offsets. */
  public static OptionalLong journaled(Journal journal) {
    return GapCheck.resumeLsn(journal);
  }

  /** The position in PostgreSQL's notation. */
  public static String lsn(long position) {
    return GapCheck.lsn(position);
  }
}
