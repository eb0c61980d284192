package io.rowguard.core;

/**
 * Which SQL a statement is written in: PostgreSQL's, or MySQL's and MariaDB's. It owns identifier
 * quoting, so a {@link TableId} is only a name and never quotes for one database.
 */
public enum SqlDialect {
  /** Double quotes, a double quote inside doubled. */
  POSTGRES('"'),
  /** Backticks, a backtick inside doubled. */
  MYSQL('`');

  private final char quote;

  SqlDialect(char quote) {
    this.quote = quote;
  }

  public static SqlDialect of(ConnectorKind kind) {
    return kind == ConnectorKind.POSTGRES ? POSTGRES : MYSQL;
  }

  /** {@code identifier} quoted, safe to splice into a statement whatever it contains. */
  public String quote(String identifier) {
    String q = String.valueOf(quote);
    return q + identifier.replace(q, q + q) + q;
  }

  /** {@code table} quoted as {@code schema.name}, or only its name when it has no schema. */
  public String quote(TableId table) {
    return table.schema().isEmpty()
        ? quote(table.name())
        : quote(table.schema()) + "." + quote(table.name());
  }
}
