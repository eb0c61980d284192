package io.rowguard.connectors.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.SocketException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ReconnectsTest {
  @Test
  void aLostOrRefusedConnectionIsWorthStartingAgainAfterAndARefusedLoginIsNot() {
    Throwable typeRegistry =
        new RuntimeException(
            "Couldn't initialize type registry",
            new SQLException(
                "The connection attempt failed.", "08001", new SocketException("reset")));
    assertThat(Reconnects.lostConnection(typeRegistry)).isTrue();
    assertThat(Reconnects.lostConnection(new SocketException("Connection refused"))).isTrue();
    assertThat(Reconnects.lostConnection(new SQLException("starting up", "57P03"))).isTrue();
    assertThat(Reconnects.lostConnection(new SQLException("password failed", "28P01"))).isFalse();
    assertThat(Reconnects.lostConnection(new IllegalStateException("bad offsets"))).isFalse();
    assertThat(Reconnects.lostConnection(null)).isFalse();
  }
}
