package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.journal.JournalEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The latest image of each row a batch changes, to fill in the values a log left out ({@link
 * Row#UNAVAILABLE}): the image the batch wrote itself, else the row's previous version in the
 * journal. Values neither has are stored as unknown ({@link Row#MISSING}) and counted.
 */
final class LatestImages {
  private final BatchRegistrations registrations;
  private final IndexReads indexReads;
  // this batch's encoded changes, decoded again only if a later change needs a row's image:
  // bytes rather than decoded rows, so that a young collection has little of the batch to copy
  private final List<byte[]> batchRecords = new ArrayList<>();
  // the latest image of each row this batch changed, built only when a change needs it
  private Map<ByteBuffer, Row> latestImages;
  private ChangeEvent lastAppended;
  private long unknownValues;
  // tables this batch truncated: a row of one of them that the batch did not write again is gone
  private final Set<Integer> truncatedTables = new java.util.HashSet<>();

  LatestImages(BatchRegistrations registrations, IndexReads indexReads) {
    this.registrations = registrations;
    this.indexReads = indexReads;
  }

  /** Notes a change the batch appended ({@code record}, as encoded): its row's latest image. */
  void appended(int tableNo, byte[] keyBytes, byte[] record, ChangeEvent complete) {
    lastAppended = complete;
    if (latestImages != null) {
      latestImages.put(rowId(tableNo, keyBytes), complete.after());
    } else {
      batchRecords.add(record);
    }
  }

  /** Forgets the images of a table's rows: the batch truncated it. */
  void truncated(int tableNo) {
    latestImages().keySet().removeIf(k -> new BinaryReader(k.array(), 0, 4).readInt() == tableNo);
    truncatedTables.add(tableNo);
  }

  /** The row's newest image, this batch's included; null when none, or the row is gone. */
  Row latest(int tableNo, byte[] keyBytes) {
    return previousImage(rowId(tableNo, keyBytes));
  }

  /** Values this batch stored as unknown: the log left them out and no earlier version had them. */
  long unknownValues() {
    return unknownValues;
  }

  private static ByteBuffer rowId(int tableNo, byte[] keyBytes) {
    return ByteBuffer.wrap(Keys.rowPrefix(tableNo, keyBytes));
  }

  /** The change with the values the log left out filled in; the change itself when it has all. */
  ChangeEvent fillUnavailable(ChangeEvent e, int tableNo, byte[] keyBytes) {
    Row before = e.before();
    Row after = e.after();
    boolean beforeMissing = before != null && before.hasUnavailable();
    boolean afterMissing = after != null && after.hasUnavailable();
    if (!beforeMissing && !afterMissing) {
      return e;
    }
    ByteBuffer rowId = rowId(tableNo, keyBytes);
    if (beforeMissing) {
      before = fill(before, previousImage(rowId), e);
    }
    if (afterMissing) {
      Row source = before != null ? before : previousImage(rowId);
      if (source == null && e.op() == Op.INSERT) {
        source = movedFrom(e);
      }
      after = fill(after, source, e);
    }
    return e.withImages(before, after);
  }

  /**
   * The row an insert moved from: an update of a primary key arrives as a delete of the old key and
   * an insert of the new, and the insert leaves out the unchanged TOASTed values the delete's
   * before image has.
   */
  private Row movedFrom(ChangeEvent insert) {
    ChangeEvent d = lastAppended;
    return d != null
            && d.op() == Op.DELETE
            && d.txId().equals(insert.txId())
            && d.table().equals(insert.table())
        ? d.before()
        : null;
  }

  /**
   * Fills the values the log left out from {@code source}, the row's previous image. What that does
   * not have either becomes {@link Row#MISSING}: stored as unknown, never written back, and a
   * rollback that needs it refuses the row.
   */
  private Row fill(Row target, Row source, ChangeEvent e) {
    Row filled = target;
    for (int i = 0; i < target.size(); i++) {
      if (target.get(i) != Row.UNAVAILABLE) {
        continue;
      }
      String column = target.schema().column(i).name();
      int j = source == null ? -1 : source.schema().indexOf(column);
      Object value = j < 0 || source.get(j) == Row.UNAVAILABLE ? Row.MISSING : source.get(j);
      if (value == Row.MISSING) {
        unknownValues++;
      }
      filled = filled.with(i, value);
    }
    return filled;
  }

  /** The latest image of each row this batch changed, decoded when first needed. */
  private Map<ByteBuffer, Row> latestImages() {
    if (latestImages == null) {
      latestImages = new HashMap<>();
      for (byte[] record : batchRecords) {
        ChangeEvent ev = EntryCodec.decode(record, registrations::schemaInBatch);
        latestImages.put(rowId(registrations.ids(ev.schema())[0], ev.key().encode()), ev.after());
      }
      batchRecords.clear();
    }
    return latestImages;
  }

  private Row previousImage(ByteBuffer rowId) {
    if (latestImages().containsKey(rowId)) {
      return latestImages.get(rowId);
    }
    if (!truncatedTables.isEmpty()
        && truncatedTables.contains(new BinaryReader(rowId.array(), 0, 4).readInt())) {
      return null; // removed by a truncate earlier in this batch, not written since
    }
    Optional<JournalEntry> last = indexReads.lastVersion(rowId.array(), Long.MAX_VALUE);
    return last.map(en -> en.event().after()).orElse(null);
  }
}
