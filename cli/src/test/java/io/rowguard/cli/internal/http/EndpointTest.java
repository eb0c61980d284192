package io.rowguard.cli.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class EndpointTest {
  static final Clock NOON = Clock.fixed(Instant.parse("2026-12-05T12:00:00Z"), ZoneOffset.UTC);

  static Endpoint at(String path) {
    return Endpoint.READS.get(path);
  }

  @Test
  void parametersBecomeTheCommandsOptionsEachOneArgument() {
    assertThat(at("/api/history").args("table=public.orders&key=id%3D42%2Cline%3D1", NOON))
        .containsExactly("--json", "--table=public.orders", "--key=id=42,line=1");
  }

  @Test
  void aValueThatLooksLikeAnOptionIsStillAValue() {
    assertThat(at("/api/history").args("table=--apply&key=1", NOON))
        .containsExactly("--json", "--table=--apply", "--key=1");
  }

  @Test
  void anOptionTheEndpointDoesNotListIsRefusedSayingWhichItTakes() {
    assertThatThrownBy(() -> at("/api/plan/backout").args("tx=7&apply=true", NOON))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("unknown parameter 'apply'")
        .hasMessageContaining("on-conflict");
    assertThatThrownBy(() -> at("/api/status").args("verbose", NOON))
        .hasMessageContaining("it takes none");
  }

  @Test
  void flagsRepeatsAndFormats() {
    assertThat(at("/api/plan/backout").args("tx=7&tx=9&cascade=true&allow-stale=false", NOON))
        .containsExactly("--json", "--tx=7", "--tx=9", "--cascade");
    assertThatThrownBy(() -> at("/api/history").args("key=1&key=2", NOON))
        .hasMessageContaining("key is given twice");
    assertThatThrownBy(() -> at("/api/plan/backout").args("cascade=maybe", NOON))
        .hasMessageContaining("cascade=maybe: use true or false");
    assertThat(at("/api/audit").args("format=csv&limit=0", NOON))
        .containsExactly("--csv", "--limit=0");
  }

  @Test
  void aPlansRelativeTimeIsFixedWhenItIsAskedFor() {
    assertThat(at("/api/plan/rollback").args("table=t&to=2h", NOON))
        .containsExactly("--json", "--table=t", "--to=2026-12-05T10:00:00Z");
    assertThat(at("/api/audit").args("since=2h", NOON)).containsExactly("--json", "--since=2h");
  }
}
