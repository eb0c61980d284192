package io.rowguard.connectors.internal.postgres;

import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.SourceBinding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a PostgreSQL capture settles with the journal before Debezium starts, in this order, so that
 * a refusal changes nothing: the journal belongs to this source (else exit 2, naming both); the
 * publication is this journal's or covers it; the slot still holds everything after the journal's
 * position (else a gap, refused unless accepted). Only then is anything written: the binding, the
 * publication, and for an accepted gap the fresh start.
 */
public final class PostgresStart {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresStart.class);
  static final long RECORD_TIMEOUT_MILLIS = 10_000;

  private PostgresStart() {}

  /**
   * What the engine needs to know.
   *
   * @param slot the replication slot
   * @param publication the publication it streams through
   * @param publicationOurs the publication is this journal's: rowguard adds new tables to it
   * @param freshStart no stored offsets: Debezium takes a snapshot first (a new journal, or the
   *     start after an accepted gap)
   */
  public record Prepared(
      String slot, String publication, boolean publicationOurs, boolean freshStart) {}

  public static Prepared prepare(
      RowguardConfig config, PostgresPreflight.Result checked, Journal journal, boolean acceptGap) {
    String slot = DebeziumSettings.engineSetting(config, "slot.name");
    Optional<SourceBinding> bound = journal.binding();
    boolean legacy = bound.isEmpty() && journal.lastSeq() > 0;
    String publication = publicationName(config, bound, legacy, slot, journal);
    PostgresPreflight.Identity id = checked.identity();
    SourceBinding current =
        new SourceBinding(
            "postgres",
            id.systemId(),
            id.describeDatabase(),
            slot,
            publication,
            config.host() + ":" + config.port());
    bound.ifPresent(b -> checkBinding(journal, b, current));
    try (Connection c = PostgresPreflight.connect(config)) {
      Publication.Plan plan =
          publicationPlan(
              config,
              checked.tables(),
              checked.identity().versionNum(),
              c,
              publication,
              slot,
              journal.id(),
              legacy);
      if (!plan.problems().isEmpty()) {
        throw new InputException(String.join("\n", plan.problems()));
      }
      Optional<Gap> gap = GapCheck.find(config, journal, c);
      if (gap.isPresent() && !acceptGap) {
        throw new InputException(GapCheck.refusal(gap.get()));
      }
      // a start without offsets snapshots every table, unless told to stream from the slot as
      // it is (snapshot.mode never or no_data: the slot's position is then the point)
      boolean snapshots =
          "initial".equalsIgnoreCase(DebeziumSettings.engineSetting(config, "snapshot.mode"));
      if (gap.isPresent() && !snapshots) {
        throw new InputException(
            "going on past a gap takes a snapshot of every table, and source.snapshot.mode="
                + DebeziumSettings.engineSetting(config, "snapshot.mode")
                + " would skip it: remove the key");
      }
      SlotState slotState = slotState(c, slot);
      if (slotState.active() && (gap.isPresent() || journal.offsets().isEmpty())) {
        throw new InputException(
            "replication slot "
                + slot
                + " is in use by another connection (a capture still running, or one that died a"
                + " moment ago): stop it, or wait for the server to notice, and start again");
      }
      boolean stale =
          gap.isEmpty() && journal.offsets().isEmpty() && slotState.exists() && snapshots;
      if (stale && journal.lastSeq() == 0) {
        throw new InputException(
            "replication slot "
                + slot
                + " already exists, and this journal is new: it belongs to another journal, or"
                + " was left behind by one; give this journal its own source.slot.name, or, if"
                + " nothing uses it, drop it: SELECT pg_drop_replication_slot('"
                + slot.replace("'", "''")
                + "');");
      }
      if (bound.isEmpty() || !bound.get().equals(current)) {
        journal.bind(current, RECORD_TIMEOUT_MILLIS);
        if (bound.isEmpty()) {
          LOG.info("Journal {} is bound to {}", journal.dir(), current.describe());
        }
      }
      Publication.apply(c, plan);
      plan.statements().forEach(s -> LOG.info("Ran {}", s));
      if (gap.isPresent()) {
        startOverAfter(gap.get(), slot, journal, c);
      } else if (stale) {
        // this journal's own slot, from a fresh start cut short (its snapshot, the first or the
        // one after an accepted gap): a new slot gives the snapshot its exact starting point
        dropSlot(c, slot);
        LOG.info("Dropped slot {}: the snapshot it was created for did not finish", slot);
      }
      return new Prepared(slot, publication, plan.ours(), journal.offsets().isEmpty());
    } catch (SQLException e) {
      throw PostgresPreflight.describe(config, e);
    }
  }

  /**
   * The publication: as configured; else the one the journal is bound to; else, for a journal that
   * an earlier rowguard wrote, the name it used then ({@code rowguard_<database>}); else the slot's
   * name, so that a second journal with its own slot gets its own publication.
   */
  private static String publicationName(
      RowguardConfig config,
      Optional<SourceBinding> bound,
      boolean legacy,
      String slot,
      Journal journal) {
    String configured = config.source().get("publication.name");
    if (bound.isPresent() && !bound.get().publication().isEmpty()) {
      String was = bound.get().publication();
      if (configured != null && !configured.equals(was)) {
        throw new InputException(
            "journal "
                + journal.dir()
                + " streams through publication "
                + was
                + "; source.publication.name="
                + configured
                + " would change that, and PostgreSQL cannot decode changes already in the slot"
                + " through a publication created after them: set it back to "
                + was
                + " (or start a new journal)");
      }
      return was;
    }
    if (configured != null) {
      return configured;
    }
    return legacy ? DebeziumSettings.legacyPublication(config) : slot;
  }

  private static void checkBinding(Journal journal, SourceBinding was, SourceBinding now) {
    was.refuseOther(journal.dir(), now);
    if (!was.slot().equals(now.slot())) {
      throw new InputException(
          "journal "
              + journal.dir()
              + " resumes from replication slot "
              + was.slot()
              + "; source.slot.name="
              + now.slot()
              + " names a slot that holds none of its position: set it back to "
              + was.slot());
    }
  }

  /**
   * The publication's plan; {@code journalId} is null for a journal not created yet, to which no
   * publication can belong.
   */
  static Publication.Plan publicationPlan(
      RowguardConfig config,
      java.util.List<PostgresPreflight.CapturedTable> tables,
      int versionNum,
      Connection c,
      String publication,
      String slot,
      String journalId,
      boolean legacy)
      throws SQLException {
    boolean superuser;
    boolean canCreate;
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT rolsuper, has_database_privilege(current_database(), 'CREATE')"
                    + " FROM pg_roles WHERE rolname = current_user")) {
      rs.next();
      superuser = rs.getBoolean(1);
      canCreate =
          superuser
              || (rs.getBoolean(2)
                  && tables.stream().allMatch(PostgresPreflight.CapturedTable::owned));
    }
    Publication.Mode mode =
        Publication.Mode.parse(config.source().get("publication.autocreate.mode"));
    return Publication.plan(
        Publication.read(c, publication),
        tables,
        journalId,
        slot,
        mode,
        legacy,
        canCreate,
        superuser,
        config.user(),
        versionNum);
  }

  private record SlotState(boolean exists, boolean active) {}

  private static SlotState slotState(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new SlotState(true, rs.getBoolean(1)) : new SlotState(false, false);
      }
    }
  }

  /** Drops an inactive slot, and makes sure it is gone. */
  private static void dropSlot(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                + " WHERE slot_name = ? AND NOT active")) {
      ps.setString(1, slot);
      ps.execute();
    }
    if (slotState(c, slot).exists()) {
      throw new InputException(
          "replication slot "
              + slot
              + " could not be dropped (a connection uses it); stop whatever uses it and start"
              + " again");
    }
  }

  /**
   * Goes on past an accepted gap: the slot (when it is still there, behind the journal) is dropped,
   * then the gap is recorded and the offsets forgotten in one journal write. Debezium then creates
   * the slot again and snapshots every table: new base versions after the gap.
   */
  private static void startOverAfter(Gap gap, String slot, Journal journal, Connection c)
      throws SQLException {
    dropSlot(c, slot);
    Gap recorded = journal.restartAfterGap(gap, RECORD_TIMEOUT_MILLIS);
    LOG.warn(
        "Going on past a gap in the journal: {} to {}; {}. Every table is snapshotted again as its"
            + " base version after the gap; rollbacks to moments between {} and {} are refused",
        recorded.fromPosition(),
        recorded.toPosition(),
        recorded.reason(),
        ValueFormat.instant(recorded.fromMicros()),
        ValueFormat.instant(recorded.toMicros()));
  }
}
