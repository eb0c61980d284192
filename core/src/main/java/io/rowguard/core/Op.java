package io.rowguard.core;

/** What a change did to a row, with Debezium's one-letter codes. */
public enum Op {
  /** A row read by the initial snapshot: its base version. */
  READ('r'),
  INSERT('c'),
  UPDATE('u'),
  DELETE('d'),
  /**
   * The row was removed by a {@code TRUNCATE} of its table: the log names the table, and the
   * journal records every row it knew there, with its last image as the before image.
   */
  TRUNCATE('t'),
  /**
   * The row was not in a snapshot taken after a gap: it was removed while the journal received
   * nothing, at an unknown moment inside the gap. Its last known image is the before image.
   */
  ABSENT('a');

  private final char code;

  Op(char code) {
    this.code = code;
  }

  public char code() {
    return code;
  }

  /** True for the operations after which the row no longer exists. */
  public boolean removesRow() {
    return this == DELETE || this == TRUNCATE || this == ABSENT;
  }

  public static Op ofCode(char code) {
    for (Op op : values()) {
      if (op.code == code) {
        return op;
      }
    }
    throw new IllegalArgumentException("unknown operation code '" + code + "'");
  }
}
