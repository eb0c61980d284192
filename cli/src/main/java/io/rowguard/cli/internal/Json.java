package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.ValueFormat;
import io.rowguard.core.ValueSchema;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;

/** JSON output: one document on stdout per command. */
public final class Json {
  public static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static final ObjectMapper COMPACT = new ObjectMapper();

  private Json() {}

  /** Reads one document (this class's output, or a request body). */
  public static com.fasterxml.jackson.databind.JsonNode parse(String json)
      throws com.fasterxml.jackson.core.JsonProcessingException {
    return COMPACT.readTree(json);
  }

  /** A document on one line, as UTF-8. */
  public static byte[] compact(com.fasterxml.jackson.databind.JsonNode doc) {
    try {
      return COMPACT.writeValueAsBytes(doc);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Prints one document whose large array is streamed: {@code head}'s fields, then {@code name}
   * with one element per item of {@code items} (each built, written and dropped in turn), then
   * {@code tail}'s fields. Memory does not grow with the items.
   */
  public static <T> void printStreamed(
      PrintWriter out,
      ObjectNode head,
      String name,
      Iterable<T> items,
      java.util.function.Function<T, ObjectNode> item,
      ObjectNode tail) {
    try (com.fasterxml.jackson.core.JsonGenerator g = MAPPER.writer().createGenerator(out)) {
      g.disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      g.writeStartObject();
      for (var f :
          (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>)
              head::fields) {
        g.writeFieldName(f.getKey());
        g.writeTree(f.getValue());
      }
      g.writeArrayFieldStart(name);
      for (T t : items) {
        g.writeTree(item.apply(t));
      }
      g.writeEndArray();
      for (var f :
          (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>)
              tail::fields) {
        g.writeFieldName(f.getKey());
        g.writeTree(f.getValue());
      }
      g.writeEndObject();
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(e);
    }
    out.println();
    out.flush();
  }

  public static void print(PrintWriter out, Object document) {
    try {
      out.println(MAPPER.writeValueAsString(document));
      out.flush();
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A row as an object of column to value; times as ISO strings, bytes as hex strings. */
  public static ObjectNode row(Row row) {
    ObjectNode node = NODES.objectNode();
    if (row == null) {
      return null;
    }
    for (int i = 0; i < row.size(); i++) {
      node.set(row.schema().column(i).name(), value(row.get(i), row.schema().column(i).schema()));
    }
    return node;
  }

  public static ObjectNode key(RowKey key) {
    ObjectNode node = NODES.objectNode();
    for (int i = 0; i < key.columns().size(); i++) {
      Object v = key.values().get(i);
      node.set(
          key.columns().get(i),
          v instanceof Long l ? NODES.numberNode(l) : NODES.textNode(String.valueOf(v)));
    }
    return node;
  }

  public static com.fasterxml.jackson.databind.JsonNode value(Object v, ValueSchema schema) {
    if (v == null) {
      return NODES.nullNode();
    }
    if (schema.logicalName() == null || !schema.logicalName().startsWith("io.debezium.time")) {
      if (v instanceof Boolean b) {
        return NODES.booleanNode(b);
      }
      if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
        return NODES.numberNode(((Number) v).longValue());
      }
      if (v instanceof Double d && Double.isFinite(d)) {
        return NODES.numberNode(d);
      }
      if (v instanceof Float f && Float.isFinite(f)) {
        return NODES.numberNode(f);
      }
      if (v instanceof List<?> list && schema.element() != null) {
        ArrayNode arr = NODES.arrayNode();
        for (Object e : list) {
          arr.add(value(e, schema.element()));
        }
        return arr;
      }
    }
    return NODES.textNode(ValueFormat.render(v, schema));
  }
}
