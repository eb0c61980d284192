package io.rowguard.connectors.internal.mirror;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How far the mirror has published: the last journal sequence number in a committed Kafka
 * transaction and, when that transaction ended inside a source transaction (one too large for a
 * single Kafka transaction), how far into it, so that the rest continues its order and counts.
 * Stored as JSON under the journal's id in the position topic, in the same Kafka transaction as the
 * records it covers.
 *
 * @param seq the last sequence number published; 0 before the first
 * @param openTx the source transaction published in part, or empty
 * @param openTxEvents its changes published so far
 * @param openTxCollections its changes published so far per table ({@code schema.table})
 */
record MirrorPosition(
    long seq, String openTx, long openTxEvents, Map<String, Long> openTxCollections) {
  private static final ObjectMapper JSON = new ObjectMapper();

  static final MirrorPosition START = new MirrorPosition(0, "", 0, Map.of());

  MirrorPosition {
    openTxCollections = Map.copyOf(openTxCollections);
  }

  /**
   * Published up to {@code seq}, which ends a source transaction (or starts from a chosen point).
   */
  static MirrorPosition at(long seq) {
    return new MirrorPosition(seq, "", 0, Map.of());
  }

  byte[] encode() {
    ObjectNode n = JSON.createObjectNode();
    n.put("seq", seq);
    if (!openTx.isEmpty()) {
      ObjectNode tx = n.putObject("openTransaction");
      tx.put("id", openTx);
      tx.put("events", openTxEvents);
      ObjectNode c = tx.putObject("collections");
      openTxCollections.forEach(c::put);
    }
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  static MirrorPosition decode(byte[] value) {
    try {
      JsonNode n = JSON.readTree(value);
      long seq = n.path("seq").asLong(-1);
      if (seq < 0) {
        throw new IllegalArgumentException("no seq");
      }
      JsonNode tx = n.path("openTransaction");
      if (tx.isMissingNode()) {
        return at(seq);
      }
      Map<String, Long> collections = new LinkedHashMap<>();
      tx.path("collections")
          .fields()
          .forEachRemaining(e -> collections.put(e.getKey(), e.getValue().asLong()));
      return new MirrorPosition(
          seq, tx.path("id").asText(), tx.path("events").asLong(), collections);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "the mirror's position record is not one rowguard wrote: "
              + new String(value, StandardCharsets.UTF_8),
          e);
    }
  }
}
