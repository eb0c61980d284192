package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No secret is ever logged: after every other test of this module has run (failsafe runs this in
 * post-integration-test), every log and error line they produced — this JVM's and the test JVMs'
 * output, each child capture's and serve's log, each command's stderr — is searched for the
 * passwords and tokens the tests gave rowguard.
 */
class SecretsScanIT {
  static final List<Path> OUTPUTS =
      List.of(
          Path.of("target", "failsafe-reports"),
          Path.of("target", "surefire-reports"),
          TestLogs.LOGS);

  @Test
  void noPasswordOrTokenTheTestsUsedAppearsInAnyLogOrErrorLine() throws Exception {
    Set<String> secrets = new TreeSet<>();
    if (Files.isDirectory(TestLogs.SECRETS)) {
      try (Stream<Path> files = Files.list(TestLogs.SECRETS)) {
        for (Path f : files.toList()) {
          Files.readAllLines(f).stream()
              .map(String::strip)
              .filter(s -> s.length() >= 8)
              .forEach(secrets::add);
        }
      }
    }
    assumeTrue(
        !secrets.isEmpty(), "no test registered a secret (the integration tests did not run)");
    List<String> found = new ArrayList<>();
    long lines = 0;
    for (Path dir : OUTPUTS) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.filter(Files::isRegularFile).filter(SecretsScanIT::isOutput).toList()) {
          int n = 0;
          for (String line : lines(f)) {
            n++;
            lines++;
            int k = 0;
            for (String s : secrets) {
              k++;
              if (line.contains(s)) {
                found.add(f + ":" + n + " holds test secret #" + k + " of " + secrets.size());
              }
            }
          }
        }
      }
    }
    assertThat(lines).as("there were logs to search").isPositive();
    assertThat(found).as("%d lines searched for %d secrets", lines, secrets.size()).isEmpty();
  }

  /** Logs and test output; not the XML reports, which repeat the output. */
  private static boolean isOutput(Path f) {
    String name = f.getFileName().toString();
    return name.endsWith("-output.txt") || name.endsWith(".log") || f.startsWith(TestLogs.LOGS);
  }

  private static List<String> lines(Path f) {
    try {
      return List.of(new String(Files.readAllBytes(f), StandardCharsets.UTF_8).split("\n", -1));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
