package io.rowguard.connectors.internal.mysql;

/** Where a journal's stored offsets resume in the binlog, and the transactions done by then. */
record BinlogPosition(String file, long pos, Gtids done) {
  /**
   * How many bytes of binlog lie between this position and {@code mark} ({@code file:pos}): 0 when
   * this is at or past it, 1 when it is in an earlier file (the distance across files is not known
   * without the files' sizes).
   */
  long bytesBefore(String mark) {
    int colon = mark.lastIndexOf(':');
    String markFile = mark.substring(0, colon);
    long markPos = Long.parseLong(mark.substring(colon + 1));
    int byFile = file.compareTo(markFile); // binlog names end in a zero-padded number
    if (byFile != 0) {
      return byFile > 0 ? 0 : 1;
    }
    return Math.max(0, markPos - pos);
  }

  String describe() {
    return done.highest().isEmpty() ? file + ":" + pos : file + ":" + pos + " (gtid " + done + ")";
  }
}
