package io.rowguard.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecordTranslatorTest {

  @Test
  void lsnsArePrintedAsPostgresPrintsThem() {
    assertThat(RecordTranslator.lsn(0)).isEqualTo("0/0");
    assertThat(RecordTranslator.lsn(0x16B3748L)).isEqualTo("0/16B3748");
    assertThat(RecordTranslator.lsn((1L << 32) | 0xABCL)).isEqualTo("1/ABC");
    assertThat(RecordTranslator.lsn(-1L)).isEqualTo("FFFFFFFF/FFFFFFFF");
    for (long v : new long[] {1, 15, 16, 255, 0x1234_5678_9ABCL, Long.MAX_VALUE}) {
      String expected =
          (Long.toHexString(v >>> 32) + "/" + Long.toHexString(v & 0xFFFFFFFFL)).toUpperCase();
      assertThat(RecordTranslator.lsn(v)).isEqualTo(expected);
    }
  }
}
