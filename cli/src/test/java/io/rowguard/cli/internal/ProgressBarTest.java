package io.rowguard.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Progress on stderr: a bar when the total is known, a count while it is not, nothing for less. */
class ProgressBarTest {
  final ByteArrayOutputStream err = new ByteArrayOutputStream();
  final ProgressBar bar = new ProgressBar(new PrintStream(err, true, StandardCharsets.UTF_8), 100);

  String printed() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void workWithoutATotalYetShowsACountAndThenTheBarEndsTheLine() {
    bar.update("planning", 50, -1);
    assertThat(printed()).as("less than the minimum: nothing").isEmpty();
    bar.update("planning", 10_000, -1);
    assertThat(printed()).isEqualTo("\rplanning           10,000");
    bar.update("loading the plan", 12_000, 12_000);
    assertThat(printed()).endsWith("12,000/12,000\n");
  }

  @Test
  void smallWorkShowsNothing() {
    bar.update("applied", 99, 99);
    assertThat(printed()).isEmpty();
  }
}
