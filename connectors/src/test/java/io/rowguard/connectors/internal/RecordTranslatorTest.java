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

  @Test
  void aMarkersTransactionIsPostgresIdBeforeItsLsnOrABinlogGtidWhole() {
    assertThat(RecordTranslator.markerTxId("771:23418904")).isEqualTo("771");
    assertThat(RecordTranslator.markerTxId("0-1-18")).isEqualTo("0-1-18");
    assertThat(RecordTranslator.markerTxId("3e11fa47-71ca-11e1-9e33-c80aa9429562:23"))
        .isEqualTo("3e11fa47-71ca-11e1-9e33-c80aa9429562:23");
    assertThat(RecordTranslator.markerTxId("binlog.000003:4711")).isEqualTo("binlog.000003:4711");
  }

  @Test
  void aStatementCommentGivesTheTagItCarries() {
    assertThat(
            RecordTranslator.commentTag(
                "/* rowguard:{\"actor\":\"alice\"} */ UPDATE orders SET total = 0"))
        .contains("{\"actor\":\"alice\"}");
    assertThat(RecordTranslator.commentTag("UPDATE t SET v = 1 /* rowguard:{\"actor\":\"b\"}*/"))
        .contains("{\"actor\":\"b\"}");
    assertThat(RecordTranslator.commentTag("/* other */ UPDATE t SET v = 1")).isEmpty();
    assertThat(RecordTranslator.commentTag("/* rowguard:{\"actor\":\"unclosed\"")).isEmpty();
  }
}
