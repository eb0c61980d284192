package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServeSettingsTest {
  static ServeSettings serve(String... keys) {
    Map<String, String> m = RowguardConfigTest.valid();
    for (int i = 0; i < keys.length; i += 2) {
      m.put(keys[i], keys[i + 1]);
    }
    return RowguardConfig.of(Path.of("f"), m, n -> "pw").serve();
  }

  @Test
  void byDefaultItListensOnLoopbackAndMayApply() {
    ServeSettings s = serve();
    assertThat(s.enabled()).isFalse();
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.port()).isEqualTo(8787);
    assertThat(s.allowApply()).isTrue();
    assertThat(s.metricsPublic()).isFalse();
    assertThat(s.readyMaxLag()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void beyondLoopbackApplyingIsOffUnlessAskedFor() {
    assertThat(serve("serve.listen", "0.0.0.0:9000").allowApply()).isFalse();
    assertThat(serve("serve.listen", ":9000").host()).isEqualTo("0.0.0.0");
    assertThat(serve("serve.listen", "0.0.0.0:9000", "serve.allow-apply", "true").allowApply())
        .isTrue();
    assertThat(serve("serve.listen", "[::1]:9000").allowApply()).isTrue();
  }

  @Test
  void badValuesAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> serve("serve.listen", "localhost"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("serve.listen=localhost is not host:port");
    assertThatThrownBy(() -> serve("serve.listen", "127.0.0.1:70000"))
        .hasMessageContaining("serve.listen");
    assertThatThrownBy(() -> serve("serve.allow-apply", "yes"))
        .hasMessageContaining("serve.allow-apply=yes must be true or false");
    assertThatThrownBy(() -> serve("serve.ready-max-lag", "soon"))
        .hasMessageContaining("serve.ready-max-lag");
    assertThatThrownBy(() -> serve("serve.port", "1"))
        .hasMessageContaining("unknown key serve.port")
        .hasMessageContaining("serve.listen");
  }
}
