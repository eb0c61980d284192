package io.rowguard.replay.internal.postgres;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code COPY … FROM STDIN} in PostgreSQL's text format, streamed in chunks: the server parses
 * one while the next is built. Each chunk is encoded into one reused buffer, so no String and byte
 * array per chunk meet the collector while a large plan is held.
 */
final class PgCopy {
  private static final Logger LOG = LoggerFactory.getLogger(PgCopy.class);

  /** Lines per chunk. */
  static final int CHUNK = 10_000;

  /** A chunk is sent sooner when its text passes this: wide rows with large values stay small. */
  private static final int CHUNK_CHARS = 4 << 20;

  private final StringBuilder buf = new StringBuilder();
  private final CharsetEncoder utf8 =
      StandardCharsets.UTF_8
          .newEncoder()
          .onMalformedInput(CodingErrorAction.REPLACE) // as String.getBytes does
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private CopyIn copy;
  private ByteBuffer bytes;
  private int inChunk;

  /** Opens {@code COPY into FROM STDIN} on the connection. */
  void open(Connection connection, String into) throws SQLException {
    copy =
        connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + into + " FROM STDIN");
    bytes = ByteBuffer.allocate(1 << 20);
  }

  /** The line being built: fields separated by tabs, ended by {@link #endLine}. */
  StringBuilder line() {
    return buf;
  }

  /** Ends the line; true when it ended a chunk (and the chunk was sent). */
  boolean endLine() throws SQLException {
    buf.append('\n');
    if (++inChunk == CHUNK || buf.length() >= CHUNK_CHARS) {
      send();
      return true;
    }
    return false;
  }

  private void send() throws SQLException {
    CharBuffer chars = CharBuffer.wrap(buf);
    utf8.reset();
    while (utf8.encode(chars, bytes, true).isOverflow()) {
      copy.writeToCopy(bytes.array(), 0, bytes.position());
      bytes.clear();
    }
    utf8.flush(bytes);
    copy.writeToCopy(bytes.array(), 0, bytes.position());
    bytes.clear();
    buf.setLength(0);
    inChunk = 0;
  }

  /** Sends what is left and ends the COPY. */
  void close() throws SQLException {
    if (inChunk > 0) {
      send();
    }
    copy.endCopy();
    copy = null;
    bytes = null;
  }

  /** Cancels a COPY still open (after a failure); the transaction is then to be rolled back. */
  void abandon() {
    if (copy != null && copy.isActive()) {
      try {
        copy.cancelCopy();
      } catch (SQLException e) {
        LOG.debug("Cancelling the COPY of the plan failed", e);
      }
    }
    copy = null;
    bytes = null;
    buf.setLength(0);
    inChunk = 0;
  }

  /**
   * A value in COPY's text format: NULL as {@code \N}; backslash, newline, return and tab escaped.
   */
  static void appendField(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("\\N");
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
  }
}
