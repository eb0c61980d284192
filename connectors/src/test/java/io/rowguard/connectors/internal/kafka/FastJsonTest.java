package io.rowguard.connectors.internal.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Time;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

/** The fast reader gives what Kafka Connect's JsonConverter gives, for every Connect type. */
class FastJsonTest {
  private static final Schema INNER =
      SchemaBuilder.struct().optional().field("x", Schema.OPTIONAL_INT32_SCHEMA).build();
  private static final Schema ROW =
      SchemaBuilder.struct()
          .name("p.public.t.Value")
          .optional()
          .field("i8", Schema.OPTIONAL_INT8_SCHEMA)
          .field("i16", Schema.OPTIONAL_INT16_SCHEMA)
          .field("i32", Schema.INT32_SCHEMA)
          .field("i64", Schema.OPTIONAL_INT64_SCHEMA)
          .field("f32", Schema.OPTIONAL_FLOAT32_SCHEMA)
          .field("f64", Schema.OPTIONAL_FLOAT64_SCHEMA)
          .field("b", Schema.OPTIONAL_BOOLEAN_SCHEMA)
          .field("s", Schema.OPTIONAL_STRING_SCHEMA)
          .field("bytes", Schema.OPTIONAL_BYTES_SCHEMA)
          .field("dec", Decimal.builder(3).optional().build())
          .field("date", Date.builder().optional().build())
          .field("time", Time.builder().optional().build())
          .field("ts", Timestamp.builder().optional().build())
          .field(
              "micros",
              SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").optional().build())
          .field("arr", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional().build())
          .field(
              "map",
              SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_INT64_SCHEMA)
                  .optional()
                  .build())
          .field(
              "imap",
              SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).optional().build())
          .field("inner", INNER)
          .field("withDefault", SchemaBuilder.string().optional().defaultValue("dflt").build())
          .build();
  private static final Schema ENVELOPE =
      SchemaBuilder.struct()
          .name("p.public.t.Envelope")
          .field("before", ROW)
          .field("after", ROW)
          .field("op", Schema.STRING_SCHEMA)
          .build();

  private final JsonConverter writer = TopicDecoder.converter(false);
  private final FastJson fast = new FastJson(TopicDecoder.converter(false));
  private final JsonConverter reference = TopicDecoder.converter(false);

  @Test
  void everyConnectTypeReadsAsJsonConverterReadsIt() {
    Struct full =
        new Struct(ROW)
            .put("i8", (byte) -8)
            .put("i16", (short) 1600)
            .put("i32", Integer.MIN_VALUE)
            .put("i64", Long.MAX_VALUE)
            .put("f32", 1.5f)
            .put("f64", -2.25e300)
            .put("b", true)
            .put("s", "ünïcode \"quoted\" ✓ \\ \n")
            .put("bytes", new byte[] {0, -1, 127, 3})
            .put("dec", new BigDecimal("-12345678901234567890.123"))
            .put("date", new java.util.Date(19_000L * 86_400_000L))
            .put("time", new java.util.Date(45_296_789L))
            .put("ts", new java.util.Date(1_733_390_000_123L))
            .put("micros", 1_733_390_000_123_456L)
            .put("arr", java.util.Arrays.asList("a", null, "c"))
            .put("map", Map.of("k", 7L))
            .put("imap", Map.of(1, "one"))
            .put("inner", new Struct(INNER).put("x", 5))
            .put("withDefault", null);
    Struct empty = new Struct(ROW).put("i32", 0);
    Struct value = new Struct(ENVELOPE).put("before", empty).put("after", full).put("op", "u");
    byte[] json = writer.fromConnectData("p.public.t", ENVELOPE, value);
    SchemaAndValue want = reference.toConnectData("p.public.t", json);
    SchemaAndValue got = fast.read("p.public.t", json);
    assertThat(got.schema()).isEqualTo(want.schema());
    assertThat(got.value()).isEqualTo(want.value());
    assertThat(((Struct) got.value()).getStruct("after").getWithoutDefault("withDefault")).isNull();
    // the second record of a table reuses the schema it converted
    SchemaAndValue again = fast.read("p.public.t", json);
    assertThat(again.schema()).isSameAs(got.schema());
    assertThat(again.value()).isEqualTo(want.value());
  }

  @Test
  void nonFiniteDoublesKeepTheirValue() {
    Struct row =
        new Struct(ROW).put("i32", 1).put("f64", Double.NaN).put("f32", Float.NEGATIVE_INFINITY);
    byte[] json =
        writer.fromConnectData(
            "p.public.t", ENVELOPE, new Struct(ENVELOPE).put("after", row).put("op", "c"));
    Struct after = ((Struct) fast.read("p.public.t", json).value()).getStruct("after");
    assertThat(after.getFloat64("f64")).isNaN();
    assertThat(after.getFloat32("f32")).isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @Test
  void somethingElseThanAnEnvelopeGoesToJsonConverter() {
    byte[] json =
        "{\"payload\":{\"x\":1},\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":\"x\",\"type\":\"int32\"}],\"optional\":false}}"
            .getBytes(StandardCharsets.UTF_8);
    assertThat(fast.read("t", json).value()).isEqualTo(reference.toConnectData("t", json).value());
    assertThat(List.of(1)).hasSize(1);
  }
}
