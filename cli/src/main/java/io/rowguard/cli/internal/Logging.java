package io.rowguard.cli.internal;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/** Log levels for the command line: quiet by default, detailed with --verbose. */
public final class Logging {
  private static volatile boolean verbose;

  private Logging() {}

  public static void setVerbose(boolean on) {
    verbose = on;
    if (on) {
      Configurator.setLevel("io.rowguard", Level.DEBUG);
      Configurator.setLevel("io.debezium", Level.INFO);
    }
  }

  public static boolean verbose() {
    return verbose;
  }

  /** For commands whose output is the point: only warnings from rowguard itself. */
  public static void quiet() {
    if (!verbose) {
      Configurator.setLevel("io.rowguard", Level.WARN);
      // the binlog client logs its connection steps through java.util.logging, to stderr
      BINLOG_CLIENT.setLevel(java.util.logging.Level.WARNING);
    }
  }

  // held: java.util.logging keeps loggers weakly, and a level set on a collected one is lost
  private static final java.util.logging.Logger BINLOG_CLIENT =
      java.util.logging.Logger.getLogger("com.github.shyiko.mysql.binlog");
}
