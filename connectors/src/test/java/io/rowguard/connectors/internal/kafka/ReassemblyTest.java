package io.rowguard.connectors.internal.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** Debezium's per-table topics, put back into whole transactions in the source's order. */
class ReassemblyTest {
  private static final TopicPartition A = new TopicPartition("p.public.a", 0);
  private static final TopicPartition B = new TopicPartition("p.public.b", 0);
  private static final TopicPartition TX = new TopicPartition("p.transaction", 0);
  private static final long SETTLE = 1_000_000_000L;

  private static final Schema SOURCE =
      SchemaBuilder.struct()
          .field("schema", Schema.STRING_SCHEMA)
          .field("table", Schema.STRING_SCHEMA)
          .field("txId", Schema.OPTIONAL_INT64_SCHEMA)
          .field("lsn", Schema.OPTIONAL_INT64_SCHEMA)
          .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
          .field("snapshot", Schema.OPTIONAL_STRING_SCHEMA)
          .build();
  private static final Schema TRANSACTION =
      SchemaBuilder.struct()
          .optional()
          .field("id", Schema.STRING_SCHEMA)
          .field("total_order", Schema.INT64_SCHEMA)
          .field("data_collection_order", Schema.INT64_SCHEMA)
          .build();
  private static final Schema ROW =
      SchemaBuilder.struct().optional().field("id", Schema.INT32_SCHEMA).build();
  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .field("before", ROW)
          .field("after", ROW)
          .field("source", SOURCE)
          .field("op", Schema.STRING_SCHEMA)
          .field("transaction", TRANSACTION)
          .build();

  private final List<String> journaled = new ArrayList<>();

  @Test
  void aTransactionWaitsForEveryTableTheEndCountsThenComesInTotalOrder() {
    Reassembly r = new Reassembly(TX, SETTLE);
    assignAll(r, true);
    r.add(TX, 0, Markers.begin("p.transaction", "7:100"), 0);
    r.add(B, 0, change("b", 1, "7:104", 2, null), 0);
    r.add(TX, 1, end("7:200", Map.of("public.a", 1L, "public.b", 1L)), 0);
    assertThat(drain(r, 0)).as("a's change has not arrived").isEmpty();
    r.add(A, 0, change("a", 1, "7:102", 1, null), 0);
    assertThat(drain(r, 0)).containsExactly("BEGIN 7", "a 1", "b 1", "END 7 a=1 b=1");
  }

  @Test
  void snapshotRowsComeFirstAndTheirLastRowEndsThemAfterEveryTable() {
    Reassembly r = new Reassembly(TX, SETTLE);
    assignAll(r, true);
    r.add(A, 0, change("a", 1, null, 0, "first"), 0);
    r.add(A, 1, change("a", 2, null, 0, "last"), 0);
    r.add(B, 0, change("b", 9, null, 0, "true"), 0);
    r.add(B, 1, change("b", 3, "8:1", 1, null), 0);
    r.add(TX, 0, Markers.begin("p.transaction", "8:1"), 0);
    r.add(TX, 1, end("8:9", Map.of("public.b", 1L)), 0);
    assertThat(drain(r, 0)).containsExactly("a 1", "b 9", "a 2", "BEGIN 8", "b 3", "END 8 b=1");
  }

  @Test
  void aTableThatNeverDeliversIsJournaledShortOnlyAfterTheLongWait() {
    Reassembly r = new Reassembly(TX, SETTLE);
    assignAll(r, true);
    r.add(TX, 0, Markers.begin("p.transaction", "7:1"), 0);
    r.add(TX, 1, end("7:2", Map.of("public.a", 1L, "public.b", 1L)), 0);
    r.add(A, 0, change("a", 1, "7:1", 1, null), 0);
    r.caughtUp(A, true);
    r.caughtUp(B, true);
    assertThat(drain(r, 5 * SETTLE)).isEmpty();
    List<String> late = drain(r, 31_000_000_000L);
    assertThat(late).containsExactly("BEGIN 7", "a 1", "END 7 a=1 b=1");
    // b's record, when it comes, is not journaled as a transaction of its own
    r.add(B, 0, change("b", 1, "7:1", 2, null), 31_000_000_000L);
    r.add(TX, 2, Markers.begin("p.transaction", "9:1"), 31_000_000_000L);
    r.add(TX, 3, end("9:2", Map.of("public.b", 1L)), 31_000_000_000L);
    r.add(B, 1, change("b", 2, "9:1", 1, null), 31_000_000_000L);
    assertThat(drain(r, 31_000_000_000L)).containsExactly("BEGIN 9", "b 2", "END 9 b=1");
  }

  @Test
  void tablesNotReadAreLeftOutOfTheCount() {
    Reassembly r = new Reassembly(TX, SETTLE);
    assignAll(r, true);
    r.add(TX, 0, Markers.begin("p.transaction", "7:1"), 0);
    r.add(TX, 1, end("7:2", Map.of("public.a", 1L, "public.elsewhere", 5L)), 0);
    r.add(A, 0, change("a", 1, "7:1", 1, null), 0);
    assertThat(drain(r, 0)).containsExactly("BEGIN 7", "a 1", "END 7 a=1");
  }

  @Test
  void withoutMetadataTheEarliestTransactionComesFirstOnceNoTopicCanPrecedeIt() {
    Reassembly r = new Reassembly(null, SETTLE);
    assignAll(r, false);
    // transaction 5 committed before 6 (sequence: the previous commit's LSN, then the change's)
    r.add(B, 0, change("b", 1, 6, "[\"200\",\"150\"]"), 0);
    assertThat(drain(r, 0)).as("a may still deliver an earlier change").isEmpty();
    r.add(A, 0, change("a", 1, 5, "[\"100\",\"120\"]"), 0);
    r.add(A, 1, change("a", 2, 6, "[\"200\",\"151\"]"), 0);
    assertThat(drain(r, 0)).containsExactly("BEGIN 5", "a 1", "END 5 a=1");
    r.caughtUp(A, true);
    r.caughtUp(B, true);
    assertThat(drain(r, SETTLE / 2)).as("caught up, not yet quiet").isEmpty();
    assertThat(drain(r, 2 * SETTLE)).containsExactly("BEGIN 6", "b 1", "a 2", "END 6 a=1 b=1");
  }

  @Test
  void theBoundaryCarriesTheOffsetOfTheFirstRecordNotReleasedInEveryPartition() {
    Reassembly r = new Reassembly(TX, SETTLE);
    assignAll(r, true);
    r.add(TX, 0, Markers.begin("p.transaction", "7:1"), 0);
    r.add(TX, 1, end("7:2", Map.of("public.a", 1L)), 0);
    r.add(A, 0, change("a", 1, "7:1", 1, null), 0);
    r.add(A, 1, change("a", 2, "8:1", 1, null), 0);
    r.add(TX, 2, Markers.begin("p.transaction", "8:1"), 0);
    List<SourceRecord> out = r.drain(0);
    SourceRecord end = out.get(out.size() - 1);
    assertThat(r.positions(end)).containsEntry(A, 1L).containsEntry(B, 0L).containsEntry(TX, 2L);
  }

  private static void assignAll(Reassembly r, boolean metadata) {
    r.assign(A, 0, 0);
    r.assign(B, 0, 0);
    if (metadata) {
      r.assign(TX, 0, 0);
    }
  }

  private List<String> drain(Reassembly r, long now) {
    journaled.clear();
    for (SourceRecord s : r.drain(now)) {
      Struct v = (Struct) s.value();
      if (v == null) {
        continue; // a heartbeat
      }
      if (v.schema().field("status") != null) {
        String what = v.getString("status") + " " + v.getString("id").split(":")[0];
        if (v.getString("status").equals("END")) {
          List<String> counts = new ArrayList<>();
          for (Object o : v.getArray("data_collections")) {
            Struct c = (Struct) o;
            counts.add(
                c.getString("data_collection").replace("public.", "")
                    + "="
                    + c.getInt64("event_count"));
          }
          counts.sort(null);
          what += " " + String.join(" ", counts);
        }
        journaled.add(what);
      } else {
        journaled.add(
            v.getStruct("source").getString("table") + " " + v.getStruct("after").get("id"));
      }
    }
    return List.copyOf(journaled);
  }

  private static SourceRecord end(String id, Map<String, Long> counts) {
    return Markers.end("p.transaction", id, new java.util.TreeMap<>(counts), 0);
  }

  private static SourceRecord change(String table, int id, String tx, long order, String snap) {
    Struct source =
        new Struct(SOURCE).put("schema", "public").put("table", table).put("snapshot", snap);
    Struct value =
        new Struct(ENVELOPE)
            .put("after", new Struct(ROW).put("id", id))
            .put("source", source)
            .put("op", snap == null ? "c" : "r");
    if (tx != null) {
      value.put(
          "transaction",
          new Struct(TRANSACTION)
              .put("id", tx)
              .put("total_order", order)
              .put("data_collection_order", order));
    }
    return new SourceRecord(
        Map.of(), Map.of(), "p.public." + table, 0, null, null, ENVELOPE, value);
  }

  /** A change without transaction metadata: its transaction only in source. */
  private static SourceRecord change(String table, int id, long txId, String sequence) {
    Struct source =
        new Struct(SOURCE)
            .put("schema", "public")
            .put("table", table)
            .put("txId", txId)
            .put("sequence", sequence);
    Struct value =
        new Struct(ENVELOPE)
            .put("after", new Struct(ROW).put("id", id))
            .put("source", source)
            .put("op", "c");
    return new SourceRecord(
        Map.of(), Map.of(), "p.public." + table, 0, null, null, ENVELOPE, value);
  }
}
