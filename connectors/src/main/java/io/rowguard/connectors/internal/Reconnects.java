package io.rowguard.connectors.internal;

import java.net.SocketException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/** Which engine failures are a lost connection to the source, worth starting again after. */
public final class Reconnects {
  private Reconnects() {}

  /**
   * True when a cause is a lost or refused connection: a socket error, or SQL state class 08
   * (connection exception) or 57P01 to 57P03 (the server shutting down or starting up). A refused
   * login or a missing privilege is not: starting again would not change it.
   */
  public static boolean lostConnection(Throwable error) {
    for (Throwable c = error; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof SocketException || c instanceof SQLTransientConnectionException) {
        return true;
      }
      if (c instanceof SQLException e && e.getSQLState() != null) {
        String state = e.getSQLState();
        if (state.startsWith("08") || state.matches("57P0[123]")) {
          return true;
        }
      }
    }
    return false;
  }
}
