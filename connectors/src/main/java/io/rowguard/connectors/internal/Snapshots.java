package io.rowguard.connectors.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableId;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base versions: every row of a captured table is in the journal from a snapshot on, and what the
 * journal had of a table that a snapshot does not read was removed while it was not looking.
 *
 * <p>Two kinds of snapshot arrive. The initial one, of every table, when capture starts without
 * offsets (a new journal, or after an accepted gap). And a backfill, of tables that came to be
 * captured while capture ran or was stopped (created since, or added to the include list, or to be
 * based again after a gap of their own): Debezium pauses streaming, snapshots them, and goes on
 * from where it paused. The rows of a backfill are dated at its snapshot. Two logical messages that
 * {@code TableWatch} emits bracket it: one ({@value #START_PREFIX}) before it asks for the
 * snapshot, and it asks only once this consumer has heard it, so every row of the backfill comes
 * after; the other ({@value #DONE_PREFIX}) once Debezium says the snapshot completed, so that a
 * table with no row at all is based too. Both carry the backfill's id: an end whose start this
 * consumer did not hear (a backfill aborted, another begun) bases nothing.
 *
 * <p>A table that had no base version before gets a gap from the journal's beginning to its
 * snapshot: nothing is rolled back to a moment when the journal did not know its rows.
 */
public final class Snapshots {
  private static final Logger LOG = LoggerFactory.getLogger(Snapshots.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The logical message prefix that begins a backfill. */
  public static final String START_PREFIX = "rowguard-backfill-start";

  /** The logical message prefix that ends a backfill. */
  public static final String DONE_PREFIX = "rowguard-backfill";

  private volatile List<TableId> initialTables;
  private final Set<TableId> based;
  private long firstSeq = -1;
  private long backfillMicros = -1;
  private volatile String begun;

  /**
   * @param initialTables the tables the initial snapshot reads, when this start takes one; empty
   *     otherwise
   * @param based the tables with base versions already
   */
  Snapshots(List<TableId> initialTables, java.util.Collection<TableId> based) {
    this.initialTables = List.copyOf(initialTables);
    this.based = new HashSet<>(based);
  }

  /** True while the initial snapshot is expected or under way. */
  boolean initialPending() {
    return !initialTables.isEmpty();
  }

  /** True once the start of backfill {@code id} has come through the stream. */
  boolean heard(String id) {
    return id.equals(begun);
  }

  /** Forgets what a snapshot cut short by a reconnect had begun: it comes again whole. */
  void restarted() {
    firstSeq = -1;
    backfillMicros = -1;
  }

  /** Journals one snapshot row; returns it. */
  JournalEntry read(
      Journal.Batch batch, RecordTranslator translator, SourceRecord record, int orderInTx) {
    if (firstSeq < 0) {
      firstSeq = batch.nextSeq();
      if (!initialPending()) {
        backfillMicros = translator.sourceMicros(record);
      }
    }
    ChangeEvent read =
        initialPending()
            ? translator.toChangeEvent(record, orderInTx)
            : translator.toChangeEvent(record, orderInTx, backfillMicros);
    return batch.append(read);
  }

  /** Ends the initial snapshot, at its last row or, when it read none, before anything else. */
  void initialEnded(Journal.Batch batch, long micros, String txId, String position) {
    for (TableId t : initialTables) {
      based(batch, t, micros, txId, position, false);
    }
    // an accepted gap of the whole journal ends here: every row is known again
    for (Gap g : batch.journal().openGaps()) {
      if (g.table() == null && g.changesLost()) {
        batch.closeGap(g, micros, position);
      }
    }
    initialTables = List.of();
    firstSeq = -1;
  }

  /**
   * The logical message that begins or ends a backfill, if {@code record} is one: it is handled.
   */
  boolean backfillMessage(Journal.Batch batch, RecordTranslator translator, SourceRecord record) {
    var start = RecordTranslator.message(record, START_PREFIX);
    if (start.isPresent()) {
      // every row read from here on is the backfill's
      firstSeq = -1;
      backfillMicros = -1;
      begun = parse(start.get()).path("id").asText();
      return true;
    }
    var content = RecordTranslator.message(record, DONE_PREFIX);
    if (content.isEmpty()) {
      return false;
    }
    JsonNode done = parse(content.get());
    List<TableId> tables = tables(done);
    String id = done.path("id").asText();
    if (begun == null || !begun.equals(id)) {
      LOG.warn(
          "Ignoring the end of backfill {} of {}: its start did not come through this capture;"
              + " the tables stay without base versions and are snapshotted when capture restarts",
          id,
          tables);
      return true;
    }
    begun = null;
    long micros = backfillMicros >= 0 ? backfillMicros : translator.sourceMicros(record);
    String txId = RecordTranslator.txId(record);
    for (TableId t : tables) {
      based(batch, t, micros, txId, "backfill", true);
    }
    LOG.info(
        "Backfill of {} journaled: their rows are base versions as of {}",
        tables,
        ValueFormat.instant(micros));
    firstSeq = -1;
    backfillMicros = -1;
    return true;
  }

  /**
   * {@code table} has base versions from {@code micros} on: rows the journal had that the snapshot
   * did not read are gone, a gap that lost its changes is closed, and a table new to the journal
   * gets a gap up to here.
   */
  private void based(
      Journal.Batch batch,
      TableId table,
      long micros,
      String txId,
      String position,
      boolean backfill) {
    long from = firstSeq < 0 ? batch.nextSeq() : firstSeq;
    int absent = batch.removeUnread(table, from, micros, txId, position);
    if (absent > 0) {
      LOG.warn(
          "{} row(s) of {} the journal had are not in its new snapshot: journaled as absent"
              + " (removed while the journal was not receiving their changes)",
          absent,
          table);
    }
    for (Gap g : batch.journal().openGaps()) {
      if (table.equals(g.table()) && g.changesLost()) {
        batch.closeGap(g, micros, position);
      }
    }
    if (backfill && !based.contains(table)) {
      batch.recordGap(
          new Gap(
              0,
              table,
              0,
              micros,
              "",
              position,
              "table "
                  + table
                  + " was first captured at "
                  + ValueFormat.instant(micros)
                  + " (created, or added to the capture, while it ran or was stopped): its rows"
                  + " before are unknown",
              true));
    }
    batch.markBased(table, micros);
    based.add(table);
  }

  /** The content of the messages that begin and end backfill {@code id} of {@code tables}. */
  public static String message(String id, List<TableId> tables) {
    var root = JSON.createObjectNode().put("id", id);
    var list = root.putArray("tables");
    for (TableId t : tables) {
      list.addObject().put("schema", t.schema()).put("name", t.name());
    }
    return root.toString();
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      LOG.warn("Ignoring a malformed backfill message: {}", json);
      return JSON.createObjectNode();
    }
  }

  private static List<TableId> tables(JsonNode message) {
    List<TableId> out = new ArrayList<>();
    for (JsonNode t : message.path("tables")) {
      out.add(TableId.of(t.path("schema").asText(), t.path("name").asText()));
    }
    return out;
  }
}
