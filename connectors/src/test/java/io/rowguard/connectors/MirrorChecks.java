package io.rowguard.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.rowguard.journal.JournalEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** What a read_committed consumer of a mirror must see, checked against the journal. */
public final class MirrorChecks {
  private MirrorChecks() {}

  /**
   * Every journaled change exactly once, in journal order within each topic, a tombstone after each
   * delete, and per transaction one BEGIN, one END whose counts are the transaction's changes, and
   * the changes' {@code total_order} 1..n.
   */
  public static void exactlyOnce(
      List<JournalEntry> journaled, List<KafkaBroker.Seen> seen, String prefix) {
    String tables = prefix + ".";
    List<KafkaBroker.Seen> records =
        seen.stream()
            .filter(s -> s.topic().startsWith(tables) && !s.topic().equals(prefix + ".transaction"))
            .toList();
    List<KafkaBroker.Seen> changes = records.stream().filter(s -> s.value() != null).toList();
    assertThat(changes.stream().map(s -> Long.parseLong(s.header("rowguard.seq"))).toList())
        .as("each journaled change once")
        .containsExactlyInAnyOrderElementsOf(journaled.stream().map(JournalEntry::seq).toList());
    Map<String, List<Long>> perTopic = new HashMap<>();
    changes.forEach(
        s ->
            perTopic
                .computeIfAbsent(s.topic(), t -> new ArrayList<>())
                .add(Long.parseLong(s.header("rowguard.seq"))));
    perTopic.forEach((topic, seqs) -> assertThat(seqs).as("journal order on " + topic).isSorted());
    Map<String, List<KafkaBroker.Seen>> byTopic =
        records.stream().collect(Collectors.groupingBy(KafkaBroker.Seen::topic));
    byTopic.forEach(
        (topic, list) -> {
          for (int i = 0; i < list.size(); i++) {
            if (list.get(i).value() != null
                && "d".equals(list.get(i).value().at("/payload/op").asText())) {
              assertThat(list.get(i + 1).value()).as("a tombstone after a delete").isNull();
              assertThat(list.get(i + 1).key()).isEqualTo(list.get(i).key());
            }
          }
        });

    Map<String, Long> perTx =
        journaled.stream()
            .collect(Collectors.groupingBy(e -> e.event().txId(), Collectors.counting()));
    Map<String, List<Long>> orders = new HashMap<>();
    for (KafkaBroker.Seen c : changes) {
      JsonNode block = c.value().at("/payload/transaction");
      orders
          .computeIfAbsent(block.get("id").asText().split(":")[0], t -> new ArrayList<>())
          .add(block.get("total_order").asLong());
    }
    orders.forEach(
        (tx, list) ->
            assertThat(list)
                .as("total_order of " + tx)
                .containsExactlyInAnyOrderElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, list.size()).boxed().toList()));
    List<JsonNode> markers =
        seen.stream()
            .filter(s -> s.topic().equals(prefix + ".transaction"))
            .map(s -> s.value().get("payload"))
            .toList();
    assertThat(markers.stream().filter(m -> m.get("status").asText().equals("BEGIN")).count())
        .as("one BEGIN per transaction")
        .isEqualTo(perTx.size());
    List<JsonNode> ends =
        markers.stream().filter(m -> m.get("status").asText().equals("END")).toList();
    assertThat(ends).as("one END per transaction").hasSize(perTx.size());
    for (JsonNode end : ends) {
      String tx = end.get("id").asText().split(":")[0];
      long count = end.get("event_count").asLong();
      assertThat(count).as("event_count of " + tx).isEqualTo(perTx.get(tx));
      long sum = 0;
      for (JsonNode c : end.get("data_collections")) {
        sum += c.get("event_count").asLong();
      }
      assertThat(sum).as("data_collections of " + tx).isEqualTo(count);
    }
  }
}
