package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class RowKeyTest {
  static final TableSchema COMPOSITE =
      new TableSchema(
          TableId.of("public", "items"),
          List.of(
              new Column("order_id", ValueSchema.of(ValueType.INT64)),
              new Column("sku", ValueSchema.of(ValueType.STRING)),
              new Column("qty", ValueSchema.of(ValueType.INT32))),
          List.of("order_id", "sku"));

  @Property
  void differentKeysNeverShareAnEncodingOrAPrefix(
      @ForAll long a1,
      @ForAll @StringLength(max = 20) String a2,
      @ForAll long b1,
      @ForAll @StringLength(max = 20) String b2) {
    byte[] a = RowKey.of(List.of("x", "y"), List.of(a1, a2)).encode();
    byte[] b = RowKey.of(List.of("x", "y"), List.of(b1, b2)).encode();
    if (a1 == b1 && a2.equals(b2)) {
      assertThat(a).isEqualTo(b);
    } else {
      assertThat(a).isNotEqualTo(b);
      assertThat(startsWith(a, b) || startsWith(b, a)).isFalse();
    }
  }

  @Property
  void integerKeysSortLikeTheirValues(@ForAll long a, @ForAll long b) {
    int byBytes =
        Arrays.compareUnsigned(
            RowKey.of(List.of("id"), List.of(a)).encode(),
            RowKey.of(List.of("id"), List.of(b)).encode());
    assertThat(Integer.signum(byBytes)).isEqualTo(Long.signum(Long.compare(a, b)));
  }

  @Property
  void aCompositeKeyReadsBackFromItsOwnText(
      @ForAll long orderId, @ForAll @StringLength(max = 30) String sku) {
    RowKey key = RowKey.of(List.of("order_id", "sku"), List.of(orderId, sku));
    assertThat(RowKey.parse(key.toString(), COMPOSITE)).isEqualTo(key);
  }

  /** Sequential ids are the common key: their hashes must not pile up in a few hash buckets. */
  @Test
  void sequentialIntegerKeysHashApart() {
    java.util.Set<Integer> hashes = new java.util.HashSet<>();
    for (long id = 1; id <= 100_000; id++) {
      RowKey k = RowKey.of(List.of("id"), List.of(id));
      assertThat(k).isEqualTo(RowKey.of(List.of("id"), List.of(id)));
      assertThat(k.hashCode()).isEqualTo(RowKey.of(List.of("id"), List.of(id)).hashCode());
      hashes.add(k.hashCode());
    }
    assertThat(hashes).hasSizeGreaterThan(99_900);
  }

  @Test
  void integersOfAnyWidthAreTheSameKey() {
    assertThat(RowKey.of(List.of("id"), List.of(42)))
        .isEqualTo(RowKey.of(List.of("id"), List.of(42L)))
        .isEqualTo(RowKey.of(List.of("id"), List.of((short) 42)));
  }

  @Test
  void dateAndTimestampKeysAreTypedAsPeopleWriteThem() {
    TableSchema events =
        new TableSchema(
            TableId.of("public", "events"),
            List.of(
                new Column("day", ValueSchema.of(ValueType.INT32, "io.debezium.time.Date")),
                new Column(
                    "at", ValueSchema.of(ValueType.INT64, "io.debezium.time.MicroTimestamp"))),
            List.of("day", "at"));
    RowKey key = RowKey.parse("day=2024-02-29,at=2024-02-29 12:00:00.000001", events);
    assertThat(key.values()).containsExactly(19782L, 1_709_208_000_000_001L);
    assertThatThrownBy(() -> RowKey.parse("day=yesterday,at=2024-01-01T00:00", events))
        .hasMessageContaining("day needs a date such as 2024-02-29, got 'yesterday'");
  }

  @Test
  void aBareValueIsOnlyForOneColumnKeys() {
    assertThatThrownBy(() -> RowKey.parse("42", COMPOSITE))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("order_id=VALUE,sku=VALUE");
    assertThatThrownBy(() -> RowKey.parse("order_id=x,sku=a", COMPOSITE))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("order_id needs a whole number, got 'x'");
    assertThatThrownBy(() -> RowKey.parse("order_id=1,sku=a,order_id=2", COMPOSITE))
        .hasMessageContaining("given twice");
  }

  private static boolean startsWith(byte[] a, byte[] prefix) {
    return a.length >= prefix.length
        && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }
}
