package io.rowguard.client;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Tells rowguard who is making the current transaction, and why.
 *
 * <pre>{@code
 * connection.setAutoCommit(false);
 * Rowguard.tag(connection, "alice", "refund for ticket 4711", "REQ-991");
 * // ... the transaction's writes ...
 * connection.commit();
 * }</pre>
 *
 * <p>On PostgreSQL the tag is a transactional logical message in the database's log ({@code
 * pg_logical_emit_message(true, 'rowguard', json)}): it commits or rolls back with the transaction,
 * costs one round trip, and changes no table. On MySQL and MariaDB, which have no such messages, it
 * is a row of {@code rowguard_tag} (see {@link #createTagTable}) inserted and deleted in the
 * transaction: two round trips, and the table stays empty. rowguard attributes every change of the
 * transaction to the actor. Call it once per transaction, anywhere before the commit.
 *
 * <p>No dependencies beyond the JDK: copy this class into your code base if you prefer.
 */
public final class Rowguard {
  /** The message prefix rowguard reads. */
  public static final String PREFIX = "rowguard";

  private static final int MAX_TEXT = 256;

  private Rowguard() {}

  /** Tags the current transaction with its actor. */
  public static void tag(Connection connection, String actor) throws SQLException {
    tag(connection, actor, null, null);
  }

  /**
   * Tags the current transaction.
   *
   * @param connection a connection inside a transaction (auto-commit off)
   * @param actor who is making the transaction: a user name, a service name
   * @param reason why, in words; may be null
   * @param request the request, ticket or job id it serves; may be null
   * @throws IllegalStateException when the connection is in auto-commit mode: the tag would be a
   *     transaction of its own and attribute nothing
   * @throws IllegalArgumentException when the actor is blank or any text is longer than 256
   *     characters
   */
  public static void tag(Connection connection, String actor, String reason, String request)
      throws SQLException {
    if (connection.getAutoCommit()) {
      throw new IllegalStateException(
          "Rowguard.tag needs a transaction: call connection.setAutoCommit(false) first, then"
              + " tag, write and commit");
    }
    String json = json(actor, reason, request);
    String product = connection.getMetaData().getDatabaseProductName();
    if ("MySQL".equalsIgnoreCase(product) || "MariaDB".equalsIgnoreCase(product)) {
      // no logical messages: a row of rowguard_tag, written and removed in this transaction
      try (PreparedStatement ps =
          connection.prepareStatement("INSERT INTO " + TAG_TABLE + " (tag) VALUES (?)")) {
        ps.setString(1, json);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          connection.prepareStatement(
              "DELETE FROM " + TAG_TABLE + " WHERE id = LAST_INSERT_ID()")) {
        ps.executeUpdate();
      }
      return;
    }
    if (!"PostgreSQL".equalsIgnoreCase(product)) {
      throw new UnsupportedOperationException(
          "Rowguard.tag supports PostgreSQL, MySQL and MariaDB; " + product + " is not");
    }
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
      ps.setString(1, PREFIX);
      ps.setString(2, json);
      ps.execute();
    }
  }

  /** The table that carries tags on MySQL and MariaDB, in the connection's current database. */
  public static final String TAG_TABLE = "rowguard_tag";

  /** The tag table's definition (MySQL/MariaDB); {@link #createTagTable} runs it. */
  public static final String TAG_TABLE_DDL =
      "CREATE TABLE IF NOT EXISTS "
          + TAG_TABLE
          + " (id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY, tag varchar(1024) NOT NULL)";

  /**
   * Creates {@code rowguard_tag} in the connection's current database, if it is not there (MySQL
   * and MariaDB, which have no logical messages). It stays empty: a tag is a row inserted and
   * deleted in the tagged transaction, which capture reads from the binlog.
   */
  public static void createTagTable(Connection connection) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(TAG_TABLE_DDL)) {
      ps.execute();
    }
  }

  /** The message's JSON: {@code {"actor":…,"reason":…,"request":…}}, absent fields left out. */
  static String json(String actor, String reason, String request) {
    if (actor == null || actor.isBlank()) {
      throw new IllegalArgumentException("the actor must not be blank");
    }
    StringBuilder sb = new StringBuilder("{");
    field(sb, "actor", actor);
    field(sb, "reason", reason);
    field(sb, "request", request);
    return sb.append('}').toString();
  }

  private static void field(StringBuilder sb, String name, String value) {
    if (value == null) {
      return;
    }
    if (value.length() > MAX_TEXT) {
      throw new IllegalArgumentException(
          name + " is " + value.length() + " characters long; at most " + MAX_TEXT);
    }
    if (sb.length() > 1) {
      sb.append(',');
    }
    sb.append('"').append(name).append("\":\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
