package io.rowguard.cli.internal;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A text table printed as rows arrive: the first rows set the column widths, later rows stream
 * through with those widths (a longer cell just pushes its line out), so memory stays flat however
 * long the answer.
 */
public final class StreamingTable implements AutoCloseable {
  private static final int SAMPLE = 50;

  private final PrintWriter out;
  private final List<String> header;
  private final List<List<String>> sample = new ArrayList<>();
  private int[] widths;

  public StreamingTable(PrintWriter out, String... header) {
    this.out = out;
    this.header = List.of(header);
  }

  public void add(String... cells) {
    if (widths == null) {
      sample.add(List.of(cells));
      if (sample.size() == SAMPLE) {
        flushSample();
      }
    } else {
      printRow(List.of(cells));
    }
  }

  private void flushSample() {
    widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (List<String> r : sample) {
        widths[i] = Math.max(widths[i], r.get(i).length());
      }
    }
    printRow(header);
    sample.forEach(this::printRow);
    sample.clear();
  }

  private void printRow(List<String> cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      sb.append(c);
      if (i < cells.size() - 1) {
        sb.append(" ".repeat(Math.max(0, widths[i] - c.length()) + 2));
      }
    }
    out.println(sb.toString().stripTrailing());
  }

  /** Prints what is still held back (all of a short table). */
  @Override
  public void close() {
    if (widths == null) {
      flushSample();
    }
    out.flush();
  }
}
