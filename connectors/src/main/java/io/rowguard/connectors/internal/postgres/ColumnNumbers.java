package io.rowguard.connectors.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.connectors.internal.Reconnects;
import io.rowguard.core.Column;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each column of a newly seen table schema its number in the table (attnum), read from the
 * catalog: the log names columns, and a rename changes the name but keeps the number, which is how
 * a plan later restores into the renamed column.
 *
 * <p>Asked once per new schema (at start, and after DDL), on the capture thread, over one
 * connection opened when first needed. A column the catalog no longer has under its name (renamed
 * again since) stays unnumbered, and so does every column when the catalog cannot be read: plans
 * then match columns by name, as they did before numbers were recorded.
 */
public final class ColumnNumbers implements UnaryOperator<TableSchema>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ColumnNumbers.class);

  private final RowguardConfig config;
  private Connection connection;

  public ColumnNumbers(RowguardConfig config) {
    this.config = config;
  }

  @Override
  public synchronized TableSchema apply(TableSchema schema) {
    Map<String, Integer> numbers;
    try {
      numbers = readAgainIfLost(schema);
    } catch (SQLException e) {
      close();
      if (Reconnects.lostConnection(e)) {
        // the server is away (restarting): capture starts again and asks again
        throw new IllegalStateException(
            "lost the connection reading the column numbers of " + schema.table(), e);
      }
      LOG.debug("Could not read the column numbers of {}", schema.table(), e);
      return schema;
    }
    List<Column> columns = new ArrayList<>(schema.size());
    for (Column c : schema.columns()) {
      Integer n = numbers.get(c.name());
      columns.add(n == null ? c : c.numbered(n));
    }
    return new TableSchema(schema.table(), columns, schema.keyColumns());
  }

  /**
   * Reads once more over a new connection when the one held was lost: after a server restart
   * Debezium reconnects first, and the old connection is dead while the server is back.
   */
  private Map<String, Integer> readAgainIfLost(TableSchema schema) throws SQLException {
    try {
      return read(schema);
    } catch (SQLException e) {
      if (!Reconnects.lostConnection(e)) {
        throw e;
      }
      close();
      return read(schema);
    }
  }

  private Map<String, Integer> read(TableSchema schema) throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = PostgresPreflight.open(config);
    }
    Map<String, Integer> out = new HashMap<>();
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT attname, attnum FROM pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attnum > 0 AND NOT attisdropped")) {
      ps.setString(1, POSTGRES.quote(schema.table()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), rs.getInt(2));
        }
      }
    }
    return out;
  }

  @Override
  public synchronized void close() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        LOG.debug("Closing the column-number connection", e);
      }
      connection = null;
    }
  }
}
