package io.rowguard.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A table's identity: its schema (PostgreSQL schema, MySQL database) and its name, exactly as the
 * database spells them (case and punctuation preserved).
 *
 * <p>{@link #parse} accepts {@code schema.table}, a bare {@code table} (schema left empty for the
 * caller to resolve) and SQL-quoted parts such as {@code "Sales"."Order.Items"}, where a quote
 * inside a quoted part is doubled. That notation is rowguard's own, for people to type and read;
 * SQL quoting belongs to the database's {@link SqlDialect}.
 */
public record TableId(String schema, String name) implements Comparable<TableId> {

  public TableId {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("table name must not be empty");
    }
  }

  public static TableId of(String schema, String name) {
    return new TableId(schema, name);
  }

  /** Parses a user-typed table name; throws {@link InputException} saying what is wrong. */
  public static TableId parse(String text) {
    List<String> parts = splitQualified(text);
    if (parts.size() == 1) {
      return new TableId("", parts.get(0));
    }
    if (parts.size() == 2) {
      return new TableId(parts.get(0), parts.get(1));
    }
    throw new InputException(
        "bad table name '"
            + text
            + "': expected schema.table or table; quote a part that contains a dot, e.g."
            + " \"my.schema\".\"Orders\"");
  }

  private static List<String> splitQualified(String text) {
    if (text == null || text.isBlank()) {
      throw new InputException("table name is empty: expected schema.table");
    }
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int i = 0;
    boolean partStarted = false;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '"' && !partStarted) {
        int end = i + 1;
        while (true) {
          if (end >= text.length()) {
            throw new InputException("bad table name '" + text + "': unterminated quote");
          }
          if (text.charAt(end) == '"') {
            if (end + 1 < text.length() && text.charAt(end + 1) == '"') {
              current.append('"');
              end += 2;
              continue;
            }
            break;
          }
          current.append(text.charAt(end));
          end++;
        }
        i = end + 1;
        partStarted = true;
        if (i < text.length() && text.charAt(i) != '.') {
          throw new InputException(
              "bad table name '" + text + "': expected '.' after a quoted part");
        }
      } else if (c == '.') {
        if (current.length() == 0) {
          throw new InputException("bad table name '" + text + "': empty part");
        }
        parts.add(current.toString());
        current.setLength(0);
        partStarted = false;
        i++;
      } else {
        current.append(c);
        partStarted = true;
        i++;
      }
    }
    if (current.length() == 0) {
      throw new InputException("bad table name '" + text + "': empty part");
    }
    parts.add(current.toString());
    return parts;
  }

  /** The notation {@link #parse} reads: double quotes, a double quote inside doubled. */
  private static String quote(String part) {
    return '"' + part.replace("\"", "\"\"") + '"';
  }

  /** {@code schema.table}, quoting only the parts that need it to read back unambiguously. */
  @Override
  public String toString() {
    return schema.isEmpty() ? display(name) : display(schema) + "." + display(name);
  }

  private static String display(String part) {
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c == '.' || c == '"' || Character.isWhitespace(c)) {
        return quote(part);
      }
    }
    return part.isEmpty() || part.charAt(0) == '"' ? quote(part) : part;
  }

  @Override
  public int compareTo(TableId other) {
    int c = schema.compareTo(other.schema);
    return c != 0 ? c : name.compareTo(other.name);
  }
}
