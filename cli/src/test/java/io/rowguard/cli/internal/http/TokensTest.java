package io.rowguard.cli.internal.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensTest {
  @TempDir Path dir;

  @Test
  void tokensAreMadeOnceOwnerOnlyAndReusedAfter() throws Exception {
    Tokens first = Tokens.loadOrCreate(dir);
    assertThat(first.created()).isTrue();
    assertThat(first.api()).hasSizeGreaterThanOrEqualTo(43).isNotEqualTo(first.metrics());
    assertThat(Files.getPosixFilePermissions(dir.resolve(Tokens.API_FILE)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    Tokens again = Tokens.loadOrCreate(dir);
    assertThat(again.created()).isFalse();
    assertThat(again.api()).isEqualTo(first.api());
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(Tokens.API_FILE, Tokens.METRICS_FILE);
    }
  }

  @Test
  void aTokenFileOthersCanReadIsRefused() throws Exception {
    Tokens.loadOrCreate(dir);
    Files.setPosixFilePermissions(
        dir.resolve(Tokens.API_FILE), PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> Tokens.loadOrCreate(dir))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("chmod 600");
  }

  @Test
  void onlyTheExactTokenMatches() {
    assertThat(Tokens.matches("abcdefgh", "abcdefgh")).isTrue();
    assertThat(Tokens.matches("abcdefgh", "abcdefg")).isFalse();
    assertThat(Tokens.matches("abcdefgh", null)).isFalse();
  }
}
