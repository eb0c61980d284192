package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** The command line, as tests drive it: in this process, or capture in a JVM of its own. */
final class Cli {
  private Cli() {}

  record Result(int exit, String out, String err) {}

  /** Runs a command in this process and returns its exit code and output. */
  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cmd = Main.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    TestLogs.record("commands.err", err.toString());
    return new Result(exit, out.toString(), err.toString());
  }

  /** Runs a command that must succeed. */
  static Result ok(String... args) {
    Result r = run(args);
    assertThat(r.exit()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  /** Writes a properties file. */
  static Path writeConfig(Path file, Map<String, String> props) throws Exception {
    Files.writeString(
        file,
        new TreeMap<>(props)
            .entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n")));
    return file;
  }

  /** Starts `rowguard capture` in a JVM of its own, its output appended to {@code log}. */
  static Process startCapture(Path config, Path log, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("capture", "-c", config.toString()));
    if (!List.of(extra).contains("--progress-interval")) {
      args.addAll(List.of("--progress-interval", "0"));
    }
    args.addAll(List.of(extra));
    return start("-Xmx512m", log, args);
  }

  /** Starts `rowguard ARGS` in a JVM of its own with heap {@code xmx}, output appended to log. */
  static Process start(String xmx, Path log, List<String> args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                xmx,
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(TestLogs.keep(log).toFile()));
    return pb.start();
  }
}
