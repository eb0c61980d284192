package io.rowguard.replay.internal.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** The text forms PostgreSQL reads back: each must name exactly the value it came from. */
class PgTextTest {
  @Property
  void doublesReadBackToTheSameBits(@ForAll double d) {
    String text = PgText.of(d, ValueSchema.of(ValueType.FLOAT64));
    double back =
        switch (text) {
          case "NaN" -> Double.NaN;
          case "Infinity" -> Double.POSITIVE_INFINITY;
          case "-Infinity" -> Double.NEGATIVE_INFINITY;
          default -> Double.parseDouble(text);
        };
    assertThat(Double.doubleToLongBits(back)).isEqualTo(Double.doubleToLongBits(d));
  }

  @Property
  void floatsReadBackToTheSameBits(@ForAll float f) {
    String text = PgText.of(f, ValueSchema.of(ValueType.FLOAT32));
    if (Float.isFinite(f)) {
      assertThat(Float.floatToIntBits(Float.parseFloat(text))).isEqualTo(Float.floatToIntBits(f));
    }
  }

  @Property
  void microTimestampsKeepEveryMicrosecond(
      @ForAll @LongRange(min = -62_135_596_800_000_000L, max = 253_402_300_799_999_999L)
          long micros) {
    String text =
        PgText.of(micros, ValueSchema.of(ValueType.INT64, "io.debezium.time.MicroTimestamp"));
    LocalDateTime expected =
        LocalDateTime.ofEpochSecond(
            Math.floorDiv(micros, 1_000_000L),
            (int) Math.floorMod(micros, 1_000_000L) * 1000,
            ZoneOffset.UTC);
    if (expected.getYear() > 0) {
      assertThat(LocalDateTime.parse(text.replace(' ', 'T'))).isEqualTo(expected);
    } else {
      assertThat(text).endsWith(" BC");
    }
  }

  @Property
  void datesKeepTheirDay(@ForAll @LongRange(min = -800_000, max = 2_900_000) long epochDay) {
    String text =
        PgText.of((int) epochDay, ValueSchema.of(ValueType.INT32, "io.debezium.time.Date"));
    LocalDate d = LocalDate.ofEpochDay(epochDay);
    if (d.getYear() > 0) {
      assertThat(LocalDate.parse(text)).isEqualTo(d);
    } else {
      assertThat(text)
          .isEqualTo(
              String.format(
                  "%04d-%02d-%02d BC", 1 - d.getYear(), d.getMonthValue(), d.getDayOfMonth()));
    }
  }

  @Test
  void edgeValues() {
    assertThat(PgText.of(-0.0, ValueSchema.of(ValueType.FLOAT64))).isEqualTo("-0.0");
    assertThat(
            PgText.of(
                86_400_000_000L, ValueSchema.of(ValueType.INT64, "io.debezium.time.MicroTime")))
        .isEqualTo("24:00:00");
    assertThat(PgText.of(new byte[] {0, (byte) 0xff}, ValueSchema.of(ValueType.BYTES)))
        .isEqualTo("\\x00ff");
    assertThat(
            PgText.of(
                "-infinity", ValueSchema.of(ValueType.STRING, "io.debezium.time.ZonedTimestamp")))
        .isEqualTo("-infinity");
    assertThat(PgText.literal("it's")).isEqualTo("'it''s'");
  }
}
