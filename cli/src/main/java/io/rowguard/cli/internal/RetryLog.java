package io.rowguard.cli.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * While the database restarts, Debezium logs each lost connection as an ERROR with a stack trace,
 * and each failed reconnect as a WARN with another. An operator needs one line per retry: what was
 * lost, why, and when the next attempt comes. This appender takes the log of Debezium's error
 * handler and task restarts and says just that; {@code --verbose} keeps Debezium's own lines.
 */
public final class RetryLog extends AbstractAppender {
  private static final Logger LOG = LoggerFactory.getLogger("io.rowguard.capture");
  private static final Pattern RESTART = Pattern.compile("restart connector after (\\d+) sec");
  private static final String[] LOGGERS = {
    "io.debezium.pipeline.ErrorHandler",
    "io.debezium.connector.common.BaseSourceTask",
    "io.debezium.util.Threads",
    "io.debezium.jdbc.JdbcConnection",
    "io.debezium.connector.postgresql.connection.PostgresReplicationConnection"
  };
  private static final Pattern CLOSING = Pattern.compile("(?i)\\bclos(e|ing)\\b");

  private volatile String lastCause = "the connection failed";
  private volatile int attempt;

  private RetryLog() {
    super("rowguard-retries", null, null, true, Property.EMPTY_ARRAY);
  }

  /** Routes Debezium's retry logging through one line per retry. */
  public static void install() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Configuration config = ctx.getConfiguration();
    RetryLog appender = new RetryLog();
    appender.start();
    config.addAppender(appender);
    for (String name : LOGGERS) {
      LoggerConfig logger = new LoggerConfig(name, Level.INFO, false);
      logger.addAppender(appender, Level.INFO, null);
      config.addLogger(name, logger);
    }
    ctx.updateLoggers();
  }

  @Override
  public void append(LogEvent event) {
    String message = event.getMessage().getFormattedMessage();
    Throwable thrown = event.getThrown();
    if (CLOSING.matcher(message).find()) {
      return; // a connection that is gone fails to close as well
    }
    if (thrown != null) {
      lastCause = rootMessage(thrown);
    }
    if (message.startsWith("Producer failure")
        || message.startsWith("Failed to start connector")
        || message.startsWith("Retry ")) {
      return; // said once, in the line below, when the retry is scheduled
    }
    Matcher restart = RESTART.matcher(message);
    if (restart.find()) {
      LOG.warn(
          "capture lost the database ({}); reconnecting in {} s (attempt {})",
          lastCause,
          restart.group(1),
          ++attempt);
      lastCause = "the database is still unreachable";
      return;
    }
    if (event.getLevel().isMoreSpecificThan(Level.WARN)) {
      LOG.warn("{}{}", message, thrown == null ? "" : ": " + rootMessage(thrown));
    }
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage();
    String top = t.getMessage();
    if (m == null || m.isBlank()) {
      m = root.getClass().getSimpleName();
    }
    return top != null && !top.equals(m) && top.length() < 160 ? top + ": " + m : m;
  }
}
