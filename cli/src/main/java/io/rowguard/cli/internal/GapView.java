package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.core.TableId;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Gap;
import java.io.PrintWriter;
import java.util.List;

/** Gaps as status, verify and history show them: where the journal is not whole, and why. */
public final class GapView {
  private GapView() {}

  /** "public.orders, 2026-… to now (open): reason; rollbacks into it are refused". */
  public static String line(Gap g) {
    return (g.table() == null ? "whole journal" : "table " + g.table())
        + ", "
        + (g.fromMicros() == 0 ? "its beginning" : ValueFormat.instant(g.fromMicros()))
        + " to "
        + (g.isOpen() ? "now (open)" : ValueFormat.instant(g.toMicros()))
        + ": "
        + g.reason()
        + (g.changesLost()
            ? "; rollbacks into it are refused"
            : "; before images only: changes are whole, values the journal could not fill are"
                + " unknown");
  }

  /** Prints each gap as a line that starts with {@code label}. */
  public static void print(PrintWriter out, String label, List<Gap> gaps) {
    for (Gap g : gaps) {
      out.printf("%s%s%n", label, line(g));
    }
  }

  public static ArrayNode json(List<Gap> gaps) {
    ArrayNode list = Json.NODES.arrayNode();
    for (Gap g : gaps) {
      ObjectNode n = list.addObject();
      n.put("table", g.table() == null ? null : g.table().toString());
      n.put("from", g.fromMicros() == 0 ? null : ValueFormat.instant(g.fromMicros()));
      n.put("to", g.isOpen() ? null : ValueFormat.instant(g.toMicros()));
      n.put("open", g.isOpen());
      n.put("changesLost", g.changesLost());
      n.put("fromPosition", g.fromPosition());
      n.put("toPosition", g.toPosition());
      n.put("reason", g.reason());
    }
    return list;
  }

  /** The gaps that concern {@code table}: its own and the whole journal's. */
  public static List<Gap> of(List<Gap> gaps, TableId table) {
    return gaps.stream().filter(g -> g.concerns(table)).toList();
  }
}
