package io.rowguard.cli;

import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.ProgressBar;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** The {@code rowguard} command. Exit codes: 0 done, 1 failed, 2 bad input, 3 conflicts. */
public final class Main {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int BAD_INPUT = 2;
  public static final int CONFLICTS = 3;

  private Main() {}

  public static void main(String[] args) {
    int exit;
    try {
      exit = run(args);
    } catch (OutOfMemoryError e) {
      ProgressBar.endOpenLine(new PrintWriter(System.err, true));
      System.err.println("rowguard: " + outOfMemory());
      exit = FAILED;
    }
    System.exit(exit);
  }

  /** What to do when the heap was too small: one line, never the error's stack trace. */
  static String outOfMemory() {
    long max = Runtime.getRuntime().maxMemory() / (1024 * 1024);
    return "out of memory: the work did not fit in this JVM's "
        + max
        + " MB heap. Give it more (ROWGUARD_JAVA_OPTS=-Xmx4g for ./rowguard, or java -Xmx4g -jar"
        + " rowguard.jar), or ask for less at once (--key/--keys-from instead of a whole table,"
        + " --limit)";
  }

  private static boolean outOfMemory(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        return true;
      }
    }
    return false;
  }

  /** Runs the command line and returns its exit code. */
  public static int run(String... args) {
    CommandLine cmd = commandLine();
    return cmd.execute(args);
  }

  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new RowguardCommand());
    // an argument starting with @ is a value (a time, a key, a name), never a file of arguments
    cmd.setExpandAtFiles(false);
    cmd.setCaseInsensitiveEnumValuesAllowed(true); // --log-format json
    cmd.setExecutionExceptionHandler(Main::handleExecutionException);
    cmd.setParameterExceptionHandler(Main::handleParameterException);
    return cmd;
  }

  private static int handleParameterException(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("rowguard: " + e.getMessage());
    err.println(
        "Try 'rowguard "
            + (e.getCommandLine().getCommandName().equals("rowguard")
                ? ""
                : e.getCommandLine().getCommandName() + " ")
            + "--help'.");
    err.flush();
    return BAD_INPUT;
  }

  private static int handleExecutionException(
      Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    PrintWriter err = cmd.getErr();
    ProgressBar.endOpenLine(err);
    if (Logging.verbose()) {
      e.printStackTrace(err);
    }
    if (e instanceof InputException) {
      err.println("rowguard: " + e.getMessage());
      err.flush();
      return BAD_INPUT;
    }
    String message =
        outOfMemory(e)
            ? outOfMemory()
            : e instanceof RowguardException
                ? e.getMessage()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
    err.println("rowguard: " + message);
    if (!Logging.verbose()) {
      err.println("(run with --verbose for details)");
    }
    err.flush();
    return FAILED;
  }
}
