package io.rowguard.cli.internal.http;

import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import picocli.CommandLine;

/**
 * Runs a {@code rowguard} command in this process, its output captured: the API answers with
 * exactly what the command line's {@code --json} prints, because it is the same code.
 */
public final class CommandRunner {
  /** What one command printed. */
  public record Outcome(int exit, String out, String error) {
    /** The command's message on failure, without the "rowguard: " it starts with. */
    public String message() {
      String first = error.lines().filter(l -> l.startsWith("rowguard: ")).findFirst().orElse("");
      return first.isEmpty() ? error.strip() : first.substring("rowguard: ".length());
    }
  }

  /** A command's output went past what the API holds in memory for one answer. */
  public static final class TooLarge extends RuntimeException {
    TooLarge(long limit) {
      super(
          "the answer is larger than the API's "
              + (limit >> 20)
              + " MB: narrow it (a key, a table, --limit), or use the command line");
    }
  }

  private final Supplier<CommandLine> commands;
  private final Path config;
  private final long maxChars;

  /**
   * @param commands a fresh {@code rowguard} command line for each run
   * @param config the config file every command is given
   * @param maxChars how much one command may print
   */
  public CommandRunner(Supplier<CommandLine> commands, Path config, long maxChars) {
    this.commands = commands;
    this.config = config;
    this.maxChars = maxChars;
  }

  /** Runs {@code rowguard <command> -c <config> <args>}. */
  public Outcome run(String command, List<String> args) {
    List<String> line = new ArrayList<>();
    line.add(command);
    line.add("--config=" + config);
    line.addAll(args);
    Capped out = new Capped(maxChars, true);
    Capped err = new Capped(64 * 1024, false);
    CommandLine cmd = commands.get();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(line.toArray(String[]::new));
    if (out.overflowed) {
      throw new TooLarge(maxChars);
    }
    return new Outcome(exit, out.text.toString(), err.text.toString());
  }

  /** Holds what is written up to a limit, and notes that more came. */
  private static final class Capped extends Writer {
    final StringBuilder text = new StringBuilder();
    final long limit;
    final boolean stop;
    boolean overflowed;

    Capped(long limit, boolean stop) {
      this.limit = limit;
      this.stop = stop;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      if (text.length() + (long) len > limit) {
        overflowed = true;
        if (stop) {
          throw new TooLarge(limit); // stops the command; its failure is not the answer
        }
        return;
      }
      text.append(cbuf, off, len);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
