package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Test
  void aNumberIsItselfAcrossAWidenedIntegerColumn() {
    // an int column altered to bigint: journaled as Integer before, Long after
    assertThat(Values.equal(10, 10L)).isTrue();
    assertThat(Values.equal((short) 7, 7L)).isTrue();
    assertThat(Values.equal(10, 11L)).isFalse();
    assertThat(Values.equal(10L, new BigDecimal("10"))).isFalse();
    assertThat(Values.equal(-0.0, 0.0)).isFalse();
  }
}
