package io.rowguard.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.TableId;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

/** A transaction that arrives short of what its END marker counts is caught, by table. */
class TransactionCountTest {
  static final Schema COLLECTION =
      SchemaBuilder.struct()
          .field("data_collection", Schema.STRING_SCHEMA)
          .field("event_count", Schema.INT64_SCHEMA)
          .build();
  static final Schema END =
      SchemaBuilder.struct()
          .field("status", Schema.STRING_SCHEMA)
          .field("id", Schema.STRING_SCHEMA)
          .field("event_count", Schema.OPTIONAL_INT64_SCHEMA)
          .field("data_collections", SchemaBuilder.array(COLLECTION).optional().build())
          .build();
  static final TableId ORDERS = TableId.of("public", "orders");
  static final TableId ITEMS = TableId.of("public", "items");

  static SourceRecord end(long total, Map<String, Long> perTable) {
    Struct v = new Struct(END).put("status", "END").put("id", "42:0/1").put("event_count", total);
    v.put(
        "data_collections",
        perTable.entrySet().stream()
            .map(
                e ->
                    new Struct(COLLECTION)
                        .put("data_collection", e.getKey())
                        .put("event_count", e.getValue()))
            .toList());
    return new SourceRecord(Map.of(), Map.of(), "t", END, v);
  }

  @Test
  void aWholeTransactionPasses() {
    TransactionCount c = new TransactionCount();
    c.begin();
    c.event(ORDERS);
    c.event(ORDERS);
    c.event(ITEMS);
    c.other(); // a rowguard message
    assertThat(c.check(end(4, Map.of("public.orders", 2L, "public.items", 1L)))).isEmpty();
  }

  @Test
  void aShortTableIsNamedWithWhatWasExpectedAndWhatArrived() {
    TransactionCount c = new TransactionCount();
    c.begin();
    c.event(ORDERS);
    c.event(ITEMS);
    List<TransactionCount.Shortfall> s =
        c.check(end(3, Map.of("public.orders", 2L, "public.items", 1L)));
    assertThat(s).containsExactly(new TransactionCount.Shortfall(ORDERS, 2, 1));
  }

  @Test
  void aMissingMessageIsNamedWithoutATable() {
    TransactionCount c = new TransactionCount();
    c.begin();
    c.event(ORDERS);
    List<TransactionCount.Shortfall> s = c.check(end(2, Map.of("public.orders", 1L)));
    assertThat(s).containsExactly(new TransactionCount.Shortfall(null, 1, 0));
  }
}
