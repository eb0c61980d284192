package io.rowguard.cli.internal;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Log levels and format for the command line: quiet by default, detailed with --verbose; text, or
 * JSON with --log-format json.
 */
public final class Logging {
  private static volatile boolean verbose;
  private static volatile boolean serving;

  private Logging() {}

  public static void setVerbose(boolean on) {
    verbose = on;
    if (on) {
      Configurator.setLevel("io.rowguard", Level.DEBUG);
      Configurator.setLevel("io.debezium", Level.INFO);
    }
  }

  /**
   * Writes log lines as JSON objects, one a line (log4j2's Elastic Common Schema template): the
   * root logger's appender is swapped for the JSON one that log4j2.xml defines, and what libraries
   * log through java.util.logging (the binlog client) is routed through the same appender.
   */
  public static void json() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration config = context.getConfiguration();
    LoggerConfig root = config.getRootLogger();
    if (root.getAppenders().containsKey(JSON_APPENDER)) {
      return;
    }
    root.removeAppender(TEXT_APPENDER);
    root.addAppender(config.getAppender(JSON_APPENDER), null, null);
    context.updateLoggers();
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
  }

  private static final String TEXT_APPENDER = "stderr";
  private static final String JSON_APPENDER = "stderr-json";

  public static boolean verbose() {
    return verbose;
  }

  /**
   * This process serves the API, which runs commands in it: their {@link #quiet} must not silence
   * the server's own log.
   */
  public static void serving() {
    serving = true;
  }

  /** For commands whose output is the point: only warnings from rowguard itself. */
  public static void quiet() {
    if (!verbose && !serving) {
      Configurator.setLevel("io.rowguard", Level.WARN);
      // the binlog client logs its connection steps through java.util.logging, to stderr
      BINLOG_CLIENT.setLevel(java.util.logging.Level.WARNING);
    }
  }

  // held: java.util.logging keeps loggers weakly, and a level set on a collected one is lost
  private static final java.util.logging.Logger BINLOG_CLIENT =
      java.util.logging.Logger.getLogger("com.github.shyiko.mysql.binlog");
}
