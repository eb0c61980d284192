package io.rowguard.connectors;

import io.rowguard.connectors.internal.Source;
import io.rowguard.core.InputException;
import io.rowguard.core.RowguardConfig;
import java.sql.Connection;

/** Plain JDBC connections to the guarded database, for replay. */
public final class Database {
  private Database() {}

  /**
   * Connects with the config's credentials; an unreachable server, a wrong password or a missing
   * database is an {@link InputException} that says which key to check.
   */
  public static Connection connect(RowguardConfig config) {
    return Source.of(config).connect();
  }

  /**
   * Connects as the user that writes rollbacks and backouts: {@code apply.user} when set, else the
   * capture user.
   */
  public static Connection connectToApply(RowguardConfig config) {
    Source source = Source.of(config);
    return config.applyLogin().separate() ? source.connectToApply() : source.connect();
  }
}
