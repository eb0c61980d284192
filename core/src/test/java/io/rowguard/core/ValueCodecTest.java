package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** Invariant 2 at the codec level: every value decodes to exactly the value encoded. */
class ValueCodecTest {
  static final TableSchema ALL_TYPES =
      new TableSchema(
          TableId.of("public", "all_types"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT64)),
              new Column("b", ValueSchema.of(ValueType.BOOLEAN)),
              new Column("i8", ValueSchema.of(ValueType.INT8)),
              new Column("i16", ValueSchema.of(ValueType.INT16)),
              new Column("i32", ValueSchema.of(ValueType.INT32)),
              new Column("f32", ValueSchema.of(ValueType.FLOAT32)),
              new Column("f64", ValueSchema.of(ValueType.FLOAT64)),
              new Column("num", ValueSchema.of(ValueType.STRING, "decimal")),
              new Column("txt", ValueSchema.of(ValueType.STRING)),
              new Column("bin", ValueSchema.of(ValueType.BYTES)),
              new Column("arr", ValueSchema.arrayOf(ValueSchema.of(ValueType.STRING))),
              new Column(
                  "matrix",
                  ValueSchema.arrayOf(ValueSchema.arrayOf(ValueSchema.of(ValueType.INT32))))),
          List.of("id"));

  @Property(tries = 500)
  void rowsRoundTripExactly(@ForAll("rows") Row row) {
    BinaryWriter out = new BinaryWriter();
    ValueCodec.writeRow(out, row);
    Row back = ValueCodec.readRow(new BinaryReader(out.toByteArray()), ALL_TYPES);
    assertThat(back).isEqualTo(row);
    for (int i = 0; i < row.size(); i++) {
      assertThat(Values.equal(back.get(i), row.get(i))).as(ALL_TYPES.column(i).name()).isTrue();
    }
  }

  /**
   * Reading a row "like" others (an update's before image, the row read before) shares equal
   * strings with them and never changes what is read: the candidates are only compared.
   */
  @Property(tries = 500)
  void rowsReadLikeOthersStillRoundTripExactly(
      @ForAll("rows") Row row, @ForAll("rows") Row like, @ForAll("rows") Row orLike) {
    BinaryWriter out = new BinaryWriter();
    ValueCodec.writeRow(out, row);
    Row back = ValueCodec.readRow(new BinaryReader(out.toByteArray()), ALL_TYPES, like, orLike);
    assertThat(back).isEqualTo(row);
    for (int i = 0; i < row.size(); i++) {
      assertThat(Values.equal(back.get(i), row.get(i))).as(ALL_TYPES.column(i).name()).isTrue();
    }
  }

  @Test
  void equalStringsAreTakenFromTheRowsReadBefore() {
    TableSchema t =
        new TableSchema(
            TableId.of("public", "t"),
            List.of(
                new Column("id", ValueSchema.of(ValueType.INT64)),
                new Column("a", ValueSchema.of(ValueType.STRING)),
                new Column("b", ValueSchema.of(ValueType.STRING)),
                new Column("c", ValueSchema.of(ValueType.STRING))),
            List.of("id"));
    Row before = Row.of(t, 1L, new String("same"), new String("good"), new String("naïve"));
    Row previous = Row.of(t, 2L, new String("other"), new String("bad"), new String("naïve"));
    BinaryWriter out = new BinaryWriter();
    ValueCodec.writeRow(out, Row.of(t, 1L, "same", "bad", "naïve"));
    Row back = ValueCodec.readRow(new BinaryReader(out.toByteArray()), t, before, previous);
    assertThat(back.get("a")).isSameAs(before.get("a"));
    assertThat(back.get("b")).as("the constant a mass write set").isSameAs(previous.get("b"));
    assertThat(back.get("c"))
        .as("only ASCII text is compared in place; the rest is read anew")
        .isEqualTo("naïve")
        .isNotSameAs(before.get("c"));
  }

  @Test
  void specialFloatsKeepTheirBitPatterns() {
    for (double d :
        new double[] {
          Double.NaN,
          -0.0,
          0.0,
          Double.POSITIVE_INFINITY,
          Double.NEGATIVE_INFINITY,
          Double.MIN_VALUE
        }) {
      BinaryWriter out = new BinaryWriter();
      ValueCodec.writeValue(out, ValueSchema.of(ValueType.FLOAT64), d, "x");
      Object back =
          ValueCodec.readValue(
              new BinaryReader(out.toByteArray()), ValueSchema.of(ValueType.FLOAT64));
      assertThat(Double.doubleToRawLongBits((Double) back))
          .isEqualTo(Double.doubleToRawLongBits(d));
    }
    assertThat(Values.equal(-0.0, 0.0)).isFalse();
  }

  @Test
  void emptyStringAndNullStayDifferent() {
    Object[] v = new Object[ALL_TYPES.size()];
    v[0] = 1L;
    v[8] = "";
    Row row = Row.of(ALL_TYPES, v);
    BinaryWriter out = new BinaryWriter();
    ValueCodec.writeRow(out, row);
    Row back = ValueCodec.readRow(new BinaryReader(out.toByteArray()), ALL_TYPES);
    assertThat(back.get("txt")).isEqualTo("");
    assertThat(back.get("bin")).isNull();
  }

  @Test
  void aPlaceholderIsNeverEncoded() {
    assertThatThrownBy(
            () ->
                ValueCodec.writeValue(
                    new BinaryWriter(), ValueSchema.of(ValueType.STRING), Row.UNAVAILABLE, "t.c"))
        .hasMessageContaining("placeholder for t.c");
  }

  @Provide
  Arbitrary<Row> rows() {
    Arbitrary<Float> floats =
        Arbitraries.oneOf(
            Arbitraries.floats(), Arbitraries.of(Float.NaN, -0.0f, Float.NEGATIVE_INFINITY));
    Arbitrary<Double> doubles =
        Arbitraries.oneOf(
            Arbitraries.doubles(), Arbitraries.of(Double.NaN, -0.0, Double.POSITIVE_INFINITY));
    // any valid Unicode text: a lone surrogate is not a string a database can hold
    Arbitrary<String> text =
        Arbitraries.oneOf(
            Arbitraries.strings()
                .withCharRange('\u0000', '\uD7FF')
                .withCharRange('\uE000', '\uFFFF')
                .ofMaxLength(40),
            Arbitraries.of("", "😀 ü ß 漢字", "line\nbreak", "\u0000"));
    Arbitrary<List<String>> arrays = text.injectNull(0.2).list().ofMaxSize(5);
    Arbitrary<List<List<Integer>>> matrices =
        Arbitraries.integers().injectNull(0.1).list().ofSize(2).list().ofMaxSize(3);
    return Combinators.combine(
            Arbitraries.longs(),
            Arbitraries.of(true, false).injectNull(0.2),
            Arbitraries.bytes().injectNull(0.2),
            Arbitraries.shorts(),
            Arbitraries.integers().injectNull(0.2),
            floats,
            doubles,
            Arbitraries.bigDecimals().map(b -> b.toPlainString()))
        .as(
            (id, b, i8, i16, i32, f32, f64, num) ->
                new Object[] {id, b, i8, i16, i32, f32, f64, num})
        .flatMap(
            head ->
                Combinators.combine(
                        text.injectNull(0.2),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(50).injectNull(0.2),
                        arrays.injectNull(0.2),
                        matrices)
                    .as(
                        (txt, bin, arr, matrix) -> {
                          List<Object> values = new ArrayList<>(Arrays.asList(head));
                          values.add(txt);
                          values.add(bin);
                          values.add(arr == null ? null : new ArrayList<Object>(arr));
                          List<Object> m = new ArrayList<>();
                          for (List<Integer> r : matrix) {
                            m.add(new ArrayList<Object>(r));
                          }
                          values.add(m);
                          return Row.of(ALL_TYPES, values.toArray());
                        }));
  }
}
