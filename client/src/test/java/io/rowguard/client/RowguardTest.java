package io.rowguard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RowguardTest {
  @Test
  void theMessageIsJsonWithAbsentFieldsLeftOut() {
    assertThat(Rowguard.json("alice", null, null)).isEqualTo("{\"actor\":\"alice\"}");
    assertThat(Rowguard.json("alice", "refund", "REQ-1"))
        .isEqualTo("{\"actor\":\"alice\",\"reason\":\"refund\",\"request\":\"REQ-1\"}");
  }

  @Test
  void quotesBackslashesAndControlCharactersAreEscaped() {
    assertThat(Rowguard.json("o\"brien\\", "line\nbreak\u0001", null))
        .isEqualTo("{\"actor\":\"o\\\"brien\\\\\",\"reason\":\"line\\nbreak\\u0001\"}");
  }

  @Test
  void aBlankActorOrAnOverlongTextIsRefused() {
    assertThatThrownBy(() -> Rowguard.json(" ", null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Rowguard.json("a", "x".repeat(257), null))
        .hasMessageContaining("reason is 257 characters long");
  }
}
