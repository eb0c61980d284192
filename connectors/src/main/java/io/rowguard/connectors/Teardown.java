package io.rowguard.connectors;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.connectors.internal.DebeziumSettings;
import io.rowguard.connectors.internal.postgres.PostgresPreflight;
import io.rowguard.connectors.internal.postgres.Publication;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.SourceBinding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a journal left in its database: the replication slot (which holds WAL on the server for as
 * long as it exists) and the publication rowguard created for it. {@link #plan} lists them; {@link
 * #apply} drops them. A publication someone else made (no rowguard mark naming this journal) is
 * listed but never dropped.
 *
 * @param items the slot, then the publication
 */
public record Teardown(List<Teardown.Item> items) {

  /**
   * One database object.
   *
   * @param kind {@code slot} or {@code publication}
   * @param name its name
   * @param exists whether it is there now
   * @param drop whether teardown drops it (it exists and is this journal's)
   * @param detail what it is and why it is kept, for people
   */
  public record Item(String kind, String name, boolean exists, boolean drop, String detail) {}

  /** True when there is something to drop. */
  public boolean anythingToDrop() {
    return items.stream().anyMatch(Item::drop);
  }

  /**
   * Lists what the journal created: its slot and publication, as it is bound to them (or, for a
   * journal never bound, as the config names them). Refuses (exit 2) while a capture streams from
   * the slot.
   *
   * @param journalId the journal's id (its publication carries it), or null when there is no
   *     journal
   */
  public static Teardown plan(
      RowguardConfig config, Optional<SourceBinding> binding, String journalId) {
    if (config.fromKafka() || config.connector() != io.rowguard.core.ConnectorKind.POSTGRES) {
      // a binlog source reads as a replica: it creates nothing on the server; a Kafka source's
      // slot is the Kafka Connect cluster's
      return new Teardown(List.of());
    }
    String slot =
        binding
            .map(SourceBinding::slot)
            .orElse(DebeziumSettings.engineSetting(config, "slot.name"));
    String publication =
        binding
            .map(SourceBinding::publication)
            .filter(p -> !p.isEmpty())
            .orElse(config.source().getOrDefault("publication.name", slot));
    List<Item> items = new ArrayList<>();
    try (Connection c = PostgresPreflight.connect(config)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint"
                  + " FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, slot);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            items.add(new Item("slot", slot, false, false, "does not exist"));
          } else if (rs.getBoolean(1)) {
            throw new InputException(
                "replication slot "
                    + slot
                    + " is in use: a capture is streaming from it; stop it first, then run"
                    + " teardown again");
          } else {
            items.add(
                new Item(
                    "slot",
                    slot,
                    true,
                    true,
                    "holds " + megabytes(rs.getLong(2)) + " of WAL on the server"));
          }
        }
      }
      Publication.State p = Publication.read(c, publication);
      if (!p.exists()) {
        items.add(new Item("publication", publication, false, false, "does not exist"));
      } else if (journalId != null && p.journal().filter(journalId::equals).isPresent()) {
        items.add(
            new Item(
                "publication",
                publication,
                true,
                true,
                "created by rowguard for this journal ("
                    + (p.allTables() ? "all tables" : p.tables().size() + " table(s)")
                    + ")"));
      } else {
        items.add(
            new Item(
                "publication",
                publication,
                true,
                false,
                p.journal().isPresent()
                    ? "belongs to another rowguard journal; kept"
                    : "not created by rowguard for this journal; kept (its owner drops it: DROP"
                        + " PUBLICATION "
                        + POSTGRES.quote(publication)
                        + ";)"));
      }
    } catch (SQLException e) {
      throw new CaptureException("could not read the slot and publication", e);
    }
    return new Teardown(items);
  }

  /** Drops what the plan marked to drop, slot first (it holds the WAL). */
  public void apply(RowguardConfig config) {
    try (Connection c = PostgresPreflight.connect(config);
        Statement s = c.createStatement()) {
      for (Item i : items) {
        if (!i.drop()) {
          continue;
        }
        if (i.kind().equals("slot")) {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                      + " WHERE slot_name = ?")) {
            ps.setString(1, i.name());
            ps.execute();
          }
        } else {
          s.execute("DROP PUBLICATION IF EXISTS " + POSTGRES.quote(i.name()));
        }
      }
    } catch (SQLException e) {
      throw new CaptureException("could not drop " + describe(), e);
    }
  }

  private String describe() {
    return String.join(
        " and ", items.stream().filter(Item::drop).map(i -> i.kind() + " " + i.name()).toList());
  }

  private static String megabytes(long bytes) {
    return bytes < 0 ? "no" : String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1048576.0);
  }
}
