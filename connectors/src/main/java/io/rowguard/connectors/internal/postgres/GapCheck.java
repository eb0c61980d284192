package io.rowguard.connectors.internal.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Finds changes the journal can no longer get: PostgreSQL streams a replication slot from its
 * confirmed position at the earliest, whatever position the client asks for. A journal behind its
 * slot (restored from an older backup) or whose slot is gone would silently skip what lies between.
 */
public final class GapCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GapCheck() {}

  /**
   * The gap between the journal's resume position and what the server still holds, if any. It is
   * open: it ends where the journal's next snapshot gives every row a base version again.
   */
  public static Optional<Gap> find(RowguardConfig config, Journal journal, Connection c)
      throws SQLException {
    OptionalLong resume = resumeLsn(journal);
    if (resume.isEmpty()) {
      return Optional.empty();
    }
    String slot = DebeziumSettings.engineSetting(config, "slot.name");
    boolean walStatus;
    try (PreparedStatement ps =
            c.prepareStatement("SELECT current_setting('server_version_num')::int >= 130000");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      walStatus = rs.getBoolean(1);
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,"
                + " pg_current_wal_lsn() - '0/0'::pg_lsn, s.confirmed_flush_lsn - '0/0'::pg_lsn,"
                + " s.slot_name IS NOT NULL, s.restart_lsn IS NULL, "
                + (walStatus ? "s.wal_status" : "NULL")
                + " FROM (SELECT 1) one LEFT JOIN pg_replication_slots s ON s.slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long now = rs.getLong(1);
        long current = rs.getLong(2);
        long confirmed = rs.getLong(3);
        boolean exists = rs.getBoolean(4);
        boolean lost = exists && (rs.getBoolean(5) || "lost".equals(rs.getString(6)));
        String from = lsn(resume.getAsLong());
        long last = journal.status().lastCommitMicros().orElse(0);
        if (!exists) {
          return Optional.of(
              gap(
                  last,
                  from,
                  lsn(current),
                  "replication slot "
                      + slot
                      + " no longer exists, so the server kept nothing for this journal"));
        }
        if (lost) {
          return Optional.of(
              gap(
                  last,
                  from,
                  lsn(current),
                  "replication slot "
                      + slot
                      + " lost the WAL it held (max_slot_wal_keep_size was passed: wal_status"
                      + " lost)"));
        }
        if (Long.compareUnsigned(confirmed, resume.getAsLong()) > 0) {
          return Optional.of(
              gap(
                  last,
                  from,
                  lsn(confirmed),
                  "replication slot "
                      + slot
                      + " has confirmed "
                      + lsn(confirmed)
                      + " to the server, past the journal's "
                      + from
                      + " (was the journal restored from an older backup?)"));
        }
        return Optional.empty();
      }
    }
  }

  private static Gap gap(long lastCommit, String from, String to, String reason) {
    return new Gap(0, null, lastCommit, Long.MAX_VALUE, from, to, reason, true);
  }

  /** What `capture` says when it finds a gap and was not told to accept it. */
  public static String refusal(Gap gap) {
    return "the journal ends at "
        + gap.fromPosition()
        + " (last commit "
        + (gap.fromMicros() == 0 ? "none" : ValueFormat.instant(gap.fromMicros()))
        + ") but "
        + gap.reason()
        + ": changes committed since then up to "
        + gap.toPosition()
        + " are no longer on the server. Run `rowguard capture --accept-gap -c FILE` to go on"
        + " without them: the gap is recorded, every table is snapshotted again, and rollbacks"
        + " to moments inside the gap are refused";
  }

  /** The log position Debezium confirms to the server for the stored offsets. */
  static OptionalLong resumeLsn(Journal journal) {
    OptionalLong best = OptionalLong.empty();
    for (ByteBuffer value : journal.offsets().values()) {
      JsonNode n;
      try {
        n = JSON.readTree(StandardCharsets.UTF_8.decode(value.duplicate()).toString());
      } catch (java.io.IOException e) {
        continue;
      }
      for (String field : new String[] {"lsn_commit", "lsn_proc", "lsn"}) {
        JsonNode v = n.get(field);
        if (v != null && v.canConvertToLong()) {
          long lsn = v.asLong();
          if (best.isEmpty() || Long.compareUnsigned(lsn, best.getAsLong()) > 0) {
            best = OptionalLong.of(lsn);
          }
          break;
        }
      }
    }
    return best;
  }

  static String lsn(long lsn) {
    return Long.toHexString(lsn >>> 32).toUpperCase(Locale.ROOT)
        + "/"
        + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase(Locale.ROOT);
  }
}
