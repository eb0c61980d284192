package io.rowguard.connectors.internal.kafka;

import io.rowguard.connectors.internal.RecordTranslator;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Puts Debezium's per-table topics back into the source's order, whole transactions at a time.
 *
 * <p>Kafka orders records within a partition, not across the topics of one transaction. With
 * Debezium's transaction metadata (a transaction topic), its BEGIN/END records give the commit
 * order and each table's event count: a transaction is released once every table's records of it
 * have arrived, in {@code total_order}. Without it, records are grouped by the source's transaction
 * id and released in source-position order once no partition can still deliver an earlier one: each
 * has a later record buffered, or has been caught up and quiet for the settle time.
 *
 * <p>Every released transaction ends with a boundary record (its END, the snapshot's last row, or a
 * heartbeat) that carries, in {@link #positions(SourceRecord)}, the offset of the first record not
 * yet released in every partition: what the journal resumes from once it holds the release.
 */
final class Reassembly {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Reassembly.class);

  /** One buffered change record. */
  record Item(
      SourceRecord record,
      long offset,
      RecordTranslator.Kind kind,
      String tx,
      long totalOrder,
      SourceOrder order,
      String snapshot) {}

  private final Map<TopicPartition, ArrayDeque<Item>> queues = new LinkedHashMap<>();
  private final Map<TopicPartition, Long> next = new HashMap<>();
  private final Map<TopicPartition, Long> heardNanos = new HashMap<>();
  private final Map<TopicPartition, Boolean> atEnd = new HashMap<>();
  private final ArrayDeque<Item> markers = new ArrayDeque<>();
  private final TopicPartition markerPartition;
  private final long settleNanos;
  private final Map<SourceRecord, Map<TopicPartition, Long>> boundaries = new IdentityHashMap<>();
  private Map<TopicPartition, Long> released = Map.of();
  private boolean snapshotOpen;
  // transactions released short (records lost, or late past the wait): their late records are
  // dropped, never journaled as a transaction of their own
  private final java.util.Set<String> releasedShort =
      java.util.Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
              return size() > 10_000;
            }
          });

  /**
   * @param markerPartition the transaction topic's partition, or null without transaction metadata
   */
  Reassembly(TopicPartition markerPartition, long settleNanos) {
    this.markerPartition = markerPartition;
    this.settleNanos = settleNanos;
  }

  /** Starts reading {@code tp} at {@code offset}. */
  void assign(TopicPartition tp, long offset, long nowNanos) {
    if (!tp.equals(markerPartition)) {
      queues.putIfAbsent(tp, new ArrayDeque<>());
    }
    next.put(tp, offset);
    heardNanos.put(tp, nowNanos);
    atEnd.put(tp, false);
  }

  /** Every partition read and the offset it starts from. */
  Map<TopicPartition, Long> assigned() {
    return Map.copyOf(next);
  }

  /** A record read at {@code offset} of {@code tp}; null for a tombstone, which is skipped. */
  void add(TopicPartition tp, long offset, SourceRecord record, long nowNanos) {
    next.put(tp, offset + 1);
    heardNanos.put(tp, nowNanos);
    if (record == null || !(record.value() instanceof Struct value)) {
      return;
    }
    RecordTranslator.Kind kind = RecordTranslator.kind(record);
    if (tp.equals(markerPartition)) {
      if (kind == RecordTranslator.Kind.BEGIN || kind == RecordTranslator.Kind.END) {
        markers.add(
            new Item(
                record,
                offset,
                kind,
                RecordTranslator.markerTxId(value.getString("id")),
                0,
                null,
                null));
      }
      return;
    }
    if (kind == RecordTranslator.Kind.OTHER || kind == RecordTranslator.Kind.SCHEMA_CHANGE) {
      return;
    }
    Struct source = value.schema().field("source") == null ? null : value.getStruct("source");
    String snapshot = null;
    if (kind == RecordTranslator.Kind.SNAPSHOT_READ && source != null) {
      Object s = source.schema().field("snapshot") == null ? null : source.get("snapshot");
      snapshot = s == null ? "true" : s.toString();
    }
    String tx = null;
    long totalOrder = 0;
    if (kind != RecordTranslator.Kind.SNAPSHOT_READ) {
      Struct t =
          value.schema().field("transaction") == null ? null : value.getStruct("transaction");
      if (t != null) {
        // PostgreSQL's ids are txId:lsn with the LSN of each event: the transaction is the txId
        tx = RecordTranslator.markerTxId(t.getString("id"));
        totalOrder = t.getInt64("total_order");
      } else if (markerPartition == null) {
        tx = sourceTx(source);
      }
    }
    queues
        .computeIfAbsent(tp, p -> new ArrayDeque<>())
        .add(
            new Item(
                record,
                offset,
                kind,
                tx,
                totalOrder,
                // with transaction metadata the commit order is the transaction topic's
                markerPartition == null ? SourceOrder.of(source) : SourceOrder.NONE,
                snapshot));
  }

  /** Whether the consumer has read all {@code tp} holds (as of its last fetch). */
  void caughtUp(TopicPartition tp, boolean caughtUp) {
    atEnd.put(tp, caughtUp);
  }

  /** The positions a boundary record released. */
  Map<TopicPartition, Long> positions(SourceRecord boundary) {
    return boundaries.remove(boundary);
  }

  /** Forgets the positions of boundaries a batch did not store (all but its last). */
  void forgetBoundaries() {
    boundaries.clear();
  }

  /** Records ready to journal, in the source's order; whole transactions only. */
  List<SourceRecord> drain(long nowNanos) {
    List<SourceRecord> out = new ArrayList<>();
    boolean progress = true;
    while (progress) {
      progress = releaseLoose(out, nowNanos);
      progress |=
          markerPartition == null ? releaseByOrder(out, nowNanos) : releaseByMarkers(out, nowNanos);
    }
    Map<TopicPartition, Long> now = currentPositions();
    if (!now.equals(released) && !snapshotOpen()) {
      SourceRecord heartbeat = Markers.heartbeat();
      out.add(heartbeat);
      boundary(heartbeat);
    }
    return out;
  }

  /** Snapshot rows and changes outside any transaction, at the heads of their partitions. */
  private boolean releaseLoose(List<SourceRecord> out, long nowNanos) {
    boolean progress = false;
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      ArrayDeque<Item> q = e.getValue();
      while (!q.isEmpty() && q.peek().tx() == null) {
        Item head = q.peek();
        if ("last".equals(head.snapshot()) && !othersPastSnapshot(e.getKey(), nowNanos)) {
          break; // the snapshot's last row ends it: every other table's rows come first
        }
        if (markerPartition == null
            && head.kind() != RecordTranslator.Kind.SNAPSHOT_READ
            && !earliest(head, nowNanos)) {
          break;
        }
        q.poll();
        out.add(head.record());
        snapshotOpen = head.snapshot() != null && !"last".equals(head.snapshot());
        if (!snapshotOpen) {
          boundary(head.record());
        }
        progress = true;
      }
    }
    return progress;
  }

  private boolean othersPastSnapshot(TopicPartition self, long nowNanos) {
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      if (e.getKey().equals(self)) {
        continue;
      }
      Item head = e.getValue().peek();
      if (head == null ? !quiet(e.getKey(), nowNanos) : head.snapshot() != null) {
        return false;
      }
    }
    return true;
  }

  private boolean snapshotOpen() {
    // rows of a snapshot were released, its last row not yet: no place to resume from
    return snapshotOpen;
  }

  /** The next transaction in the transaction topic's order, once all of it has arrived. */
  private boolean releaseByMarkers(List<SourceRecord> out, long nowNanos) {
    while (!markers.isEmpty() && markers.peek().kind() != RecordTranslator.Kind.BEGIN) {
      markers.poll(); // an END whose BEGIN is before where reading started
    }
    if (markers.size() < 2) {
      return false;
    }
    Item begin = markers.poll();
    Item end = markers.peek();
    if (end.kind() != RecordTranslator.Kind.END || !end.tx().equals(begin.tx())) {
      return true; // a BEGIN without its END: dropped, as Debezium restarted past it
    }
    markers.push(begin);
    dropLate();
    for (ArrayDeque<Item> q : queues.values()) {
      if (!q.isEmpty() && q.peek().tx() == null) {
        return false; // snapshot rows (or changes outside any transaction) go first
      }
    }
    Struct endValue = (Struct) end.record().value();
    Map<String, Long> expected = new TreeMap<>();
    long others = endValue.getInt64("event_count");
    List<Object> collections = endValue.getArray("data_collections");
    for (Object o : collections == null ? List.of() : collections) {
      Struct c = (Struct) o;
      expected.put(c.getString("data_collection"), c.getInt64("event_count"));
      others -= c.getInt64("event_count");
    }
    // what of the transaction has arrived, per partition, at their heads
    Map<TopicPartition, Integer> runs = new LinkedHashMap<>();
    Map<String, Long> arrived = new TreeMap<>();
    long messages = 0;
    boolean waiting = false;
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      int run = 0;
      for (Item i : e.getValue()) {
        if (!begin.tx().equals(i.tx())) {
          break;
        }
        run++;
        if (i.kind() == RecordTranslator.Kind.MESSAGE) {
          messages++;
        } else {
          arrived.merge(collection(i.record()), 1L, Long::sum);
        }
      }
      runs.put(e.getKey(), run);
      if (run == e.getValue().size() && !quiet(e.getKey(), nowNanos, markerWaitNanos())) {
        waiting = true; // more of it may be on its way in this partition
      }
    }
    boolean complete = complete(expected, arrived, others, messages);
    if (waiting && !complete) {
      return false;
    }
    markers.poll();
    markers.poll();
    if (!complete) {
      releasedShort.add(begin.tx());
    }
    List<Item> items = take(runs);
    items.sort(Comparator.comparingLong(Item::totalOrder));
    // only the tables read here are counted: the END's count of the others is left out
    Map<String, Long> counts = new TreeMap<>();
    expected.forEach(
        (c, n) -> {
          if (reads(c)) {
            counts.put(c, n);
          }
        });
    arrived.keySet().forEach(c -> counts.putIfAbsent(c, 0L));
    if (items.isEmpty() && counts.isEmpty()) {
      return true;
    }
    out.add(begin.record());
    items.forEach(i -> out.add(i.record()));
    SourceRecord endRecord =
        Markers.end(
            end.record().topic(),
            begin.tx(),
            counts,
            readsMessages() ? Math.max(others, messages) : messages);
    out.add(endRecord);
    boundary(endRecord);
    return true;
  }

  private boolean complete(
      Map<String, Long> expected, Map<String, Long> arrived, long others, long messages) {
    for (Map.Entry<String, Long> a : arrived.entrySet()) {
      if (a.getValue() < expected.getOrDefault(a.getKey(), 0L)) {
        return false;
      }
    }
    for (Map.Entry<String, Long> x : expected.entrySet()) {
      if (!arrived.containsKey(x.getKey()) && reads(x.getKey())) {
        return false;
      }
    }
    return !readsMessages() || messages >= others;
  }

  /** Without transaction metadata: the transaction of the earliest head, once nothing precedes. */
  private boolean releaseByOrder(List<SourceRecord> out, long nowNanos) {
    Item first = null;
    for (ArrayDeque<Item> q : queues.values()) {
      Item head = q.peek();
      if (head != null && (first == null || head.order().compareTo(first.order()) < 0)) {
        first = head;
      }
    }
    if (first == null || first.tx() == null || !earliest(first, nowNanos)) {
      return false;
    }
    Map<TopicPartition, Integer> runs = new LinkedHashMap<>();
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      int run = 0;
      for (Item i : e.getValue()) {
        if (!first.tx().equals(i.tx())) {
          break;
        }
        run++;
      }
      if (run == e.getValue().size() && !quiet(e.getKey(), nowNanos)) {
        return false; // the partition may still deliver more of the transaction
      }
      runs.put(e.getKey(), run);
    }
    List<Item> items = take(runs);
    items.sort(Comparator.comparing(Item::order));
    Map<String, Long> counts = new TreeMap<>();
    long messages = 0;
    for (Item i : items) {
      if (i.kind() == RecordTranslator.Kind.MESSAGE) {
        messages++;
      } else {
        counts.merge(collection(i.record()), 1L, Long::sum);
      }
    }
    out.add(Markers.begin("rowguard.kafka.transaction", first.tx()));
    items.forEach(i -> out.add(i.record()));
    SourceRecord end = Markers.end("rowguard.kafka.transaction", first.tx(), counts, messages);
    out.add(end);
    boundary(end);
    return true;
  }

  /** True when no partition can still deliver a record that comes before {@code item}. */
  private boolean earliest(Item item, long nowNanos) {
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      Item head = e.getValue().peek();
      if (head == null) {
        if (!quiet(e.getKey(), nowNanos)) {
          return false;
        }
      } else if (head != item && head.order().compareTo(item.order()) < 0) {
        return false;
      }
    }
    return true;
  }

  private List<Item> take(Map<TopicPartition, Integer> runs) {
    List<Item> items = new ArrayList<>();
    runs.forEach(
        (tp, n) -> {
          ArrayDeque<Item> q = queues.get(tp);
          for (int i = 0; i < n; i++) {
            items.add(q.poll());
          }
        });
    return items;
  }

  /** Caught up, and nothing heard for the settle time. */
  private boolean quiet(TopicPartition tp, long nowNanos) {
    return quiet(tp, nowNanos, settleNanos);
  }

  private boolean quiet(TopicPartition tp, long nowNanos, long waitNanos) {
    return atEnd.getOrDefault(tp, false) && nowNanos - heardNanos.get(tp) >= waitNanos;
  }

  /**
   * With transaction metadata the END says what is missing: a table's records are waited for much
   * longer (at least 30 s) before the transaction is journaled short, as lost.
   */
  private long markerWaitNanos() {
    return Math.max(settleNanos, 30_000_000_000L);
  }

  /** Records of a transaction already journaled short, arriving late: dropped, loudly. */
  private void dropLate() {
    for (Map.Entry<TopicPartition, ArrayDeque<Item>> e : queues.entrySet()) {
      ArrayDeque<Item> q = e.getValue();
      int dropped = 0;
      while (!q.isEmpty() && q.peek().tx() != null && releasedShort.contains(q.peek().tx())) {
        q.poll();
        dropped++;
      }
      if (dropped > 0) {
        LOG.error(
            "{} record(s) of {} arrived after their transaction was journaled without them (a gap"
                + " of the table was recorded then); not journaled",
            dropped,
            e.getKey());
      }
    }
  }

  private boolean readsMessages() {
    for (TopicPartition tp : queues.keySet()) {
      if (tp.topic().endsWith(".message")) {
        return true;
      }
    }
    return false;
  }

  /** Whether a partition is read whose topic carries {@code collection}'s changes. */
  private boolean reads(String collection) {
    for (TopicPartition tp : queues.keySet()) {
      if (tp.topic().equals(collection) || tp.topic().endsWith("." + collection)) {
        return true;
      }
    }
    return false;
  }

  /** {@code schema.table} (PostgreSQL) or {@code database.table} (binlog) of a change. */
  static String collection(SourceRecord record) {
    Struct source = ((Struct) record.value()).getStruct("source");
    Object schema =
        source.schema().field("schema") != null && source.get("schema") != null
            ? source.get("schema")
            : source.get("db");
    return schema + "." + source.get("table");
  }

  private void boundary(SourceRecord record) {
    Map<TopicPartition, Long> now = currentPositions();
    boundaries.put(record, now);
    released = now;
  }

  /** For each partition, the offset of its first record not released. */
  private Map<TopicPartition, Long> currentPositions() {
    Map<TopicPartition, Long> out = new HashMap<>(next);
    queues.forEach(
        (tp, q) -> {
          if (!q.isEmpty()) {
            out.put(tp, q.peek().offset());
          }
        });
    if (markerPartition != null && !markers.isEmpty()) {
      out.put(markerPartition, markers.peek().offset());
    }
    return out;
  }

  private static String sourceTx(Struct source) {
    if (source == null) {
      return null;
    }
    for (String field : new String[] {"txId", "gtid"}) {
      if (source.schema().field(field) != null && source.get(field) != null) {
        return source.get(field).toString();
      }
    }
    return null;
  }
}
