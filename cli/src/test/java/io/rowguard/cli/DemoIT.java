package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The README's first command: the whole story, end to end. */
class DemoIT {
  @Test
  void theDemoFindsTheBadDeployRollsItBackAndVerifies() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute("demo", "--orders", "100");
    assertThat(exit).as(err.toString()).isZero();
    String text = out.toString();
    assertThat(text)
        .containsPattern(
            "(?m)^   1 +[0-9.]+ +\\d+ .* unattributed .*wrote \\d+ rows of public.orders")
        .contains("fulfillment")
        .contains("rows, identical")
        .contains("the hash chain and every index are intact")
        .contains("Everything the demo started is stopped");
  }

  @Test
  void theMariaDbDemoBacksOutTheBadDeployFromTheBinlog() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        io.rowguard.connectors.LocalMariaDb.binaries().isPresent(),
        "mariadbd is not installed here: apt-get install -y mariadb-server");
    Cli.Result r = Cli.run("demo", "--db", "mariadb", "--orders", "100");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("fulfillment")
        .contains("UPDATE `shop`.`orders` SET")
        .contains("rows, identical")
        .contains("the hash chain and every index are intact")
        .contains("stopped and its files are deleted");
  }
}
