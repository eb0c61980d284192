package io.rowguard.core;

/** What a change did to a row, with Debezium's one-letter codes. */
public enum Op {
  /** A row read by the initial snapshot: its base version. */
  READ('r'),
  INSERT('c'),
  UPDATE('u'),
  DELETE('d');

  private final char code;

  Op(char code) {
    this.code = code;
  }

  public char code() {
    return code;
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
