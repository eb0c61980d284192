package io.rowguard.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.audit.BlastRadius;
import io.rowguard.cli.internal.HistoryView;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.StreamingTable;
import io.rowguard.cli.internal.TextTable;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionSummary;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.Journal;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "blast-radius",
    mixinStandardHelpOptions = true,
    description = {
      "Show every row one transaction wrote, and the later transactions that wrote the same rows:"
          + " what a backout would put back, and whose later work it would run into.",
    },
    footer = {"", "Example:", "  rowguard blast-radius -c shop.properties --tx 48213"})
final class BlastRadiusCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(names = "--tx", required = true, paramLabel = "TX", description = "The transaction.")
  String tx;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "50",
      description =
          "List at most N of the rows in the text output (default: ${DEFAULT-VALUE}; 0: all);"
              + " --json lists all.")
  int limit;

  @Option(names = "--json", description = "One JSON document (streamed), every row.")
  boolean json;

  @Option(
      names = "--later-only",
      description =
          "Only the rows a later transaction wrote too: where a backout would meet later work.")
  boolean laterOnly;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    PrintWriter out = spec.commandLine().getOut();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      return json ? printJson(journal, out) : printText(journal, out);
    }
  }

  private int printText(Journal journal, PrintWriter out) {
    long[] shown = {0};
    long[] total = {0};
    StreamingTable rows = new StreamingTable(out, "TABLE", "KEY", "OP", "CHANGED", "LATER WRITERS");
    // rows with later writers first, as they come; the others (as many as may be shown) after
    List<BlastRadius.TouchedRow> quiet = new ArrayList<>();
    boolean[] header = {false};
    java.util.function.Consumer<BlastRadius.TouchedRow> show =
        row -> {
          total[0]++;
          if (!header[0]) {
            header[0] = true;
            out.println(
                (laterOnly
                    ? "rows written by transaction " + tx + " and later by others:"
                    : "rows written by transaction " + tx + " (those written later too first):"));
          }
          if (limit == 0 || shown[0] < limit) {
            shown[0]++;
            ChangeEvent c = row.change().event();
            rows.add(
                c.table().toString(),
                c.key().toString(),
                HistoryView.opName(c),
                String.join(", ", row.changedColumns()),
                row.laterTransactions().isEmpty()
                    ? "-"
                    : String.join(", ", row.laterTransactions()));
          }
        };
    long[] hidden = {0};
    BlastRadius.Result r =
        new BlastRadius(journal)
            .of(
                tx,
                row -> {
                  if (!row.laterTransactions().isEmpty()) {
                    show.accept(row);
                  } else if (laterOnly) {
                    hidden[0]++;
                  } else if (limit == 0 || quiet.size() < limit) {
                    quiet.add(row);
                  } else {
                    total[0]++; // counted, not kept: it would not be shown
                  }
                });
    quiet.forEach(show);
    rows.close();
    if (laterOnly && hidden[0] > 0) {
      out.printf("(%d row(s) no later transaction wrote are not listed)%n", hidden[0]);
    }
    if (shown[0] < total[0]) {
      out.printf("… and %d more rows (--limit 0 lists all)%n", total[0] - shown[0]);
    }
    TransactionSummary s = r.transaction();
    out.println();
    out.printf(
        "transaction %s committed %s by %s: %d rows in %s%n",
        tx,
        ValueFormat.instant(s.commitMicros()),
        s.actorText(),
        s.rows(),
        s.tables().keySet().stream().map(TableId::toString).collect(Collectors.joining(", ")));
    if (r.later().isEmpty()) {
      out.println("no later transaction wrote any of these rows: a backout will not conflict");
    } else {
      out.printf(
          "%d later transaction(s) wrote some of these rows (a backout conflicts with them unless"
              + " --cascade):%n",
          r.later().size());
      TextTable t = new TextTable("TX", "COMMITTED (UTC)", "BY", "ROWS", "TABLES");
      for (BlastRadius.LaterTransaction l : r.later()) {
        t.add(
            l.txId(),
            ValueFormat.instant(l.commitMicros()),
            HistoryView.actor(l.attribution()),
            Long.toString(l.rows()),
            l.tables().stream().sorted().map(TableId::toString).collect(Collectors.joining(", ")));
      }
      t.print(out);
    }
    out.flush();
    return Main.OK;
  }

  private int printJson(Journal journal, PrintWriter out) throws IOException {
    JsonGenerator g =
        new ObjectMapper().getFactory().createGenerator(out).useDefaultPrettyPrinter();
    g.writeStartObject();
    g.writeStringField("tx", tx);
    g.writeArrayFieldStart("rows");
    BlastRadius.Result r =
        new BlastRadius(journal)
            .of(
                tx,
                row -> {
                  if (laterOnly && row.laterTransactions().isEmpty()) {
                    return;
                  }
                  ChangeEvent c = row.change().event();
                  var n = Json.NODES.objectNode();
                  n.put("table", c.table().toString());
                  n.set("key", Json.key(c.key()));
                  n.put("op", HistoryView.opName(c));
                  var changed = n.putArray("changed");
                  row.changedColumns().forEach(changed::add);
                  var later = n.putArray("laterTransactions");
                  row.laterTransactions().forEach(later::add);
                  try {
                    g.writeTree(n);
                  } catch (IOException e) {
                    throw new UncheckedIOException(e);
                  }
                });
    g.writeEndArray();
    TransactionSummary s = r.transaction();
    g.writeStringField("committed", ValueFormat.instant(s.commitMicros()));
    var who = Json.NODES.objectNode();
    HistoryView.attributionJson(who, r.attribution());
    g.writeObjectField("attribution", who);
    g.writeNumberField("rowCount", s.rows());
    g.writeArrayFieldStart("later");
    for (BlastRadius.LaterTransaction l : r.later()) {
      var n = Json.NODES.objectNode();
      n.put("tx", l.txId());
      n.put("committed", ValueFormat.instant(l.commitMicros()));
      HistoryView.attributionJson(n, l.attribution());
      n.put("rows", l.rows());
      var tables = n.putArray("tables");
      l.tables().stream().sorted().forEach(t -> tables.add(t.toString()));
      g.writeTree(n);
    }
    g.writeEndArray();
    g.writeEndObject();
    g.flush();
    out.println();
    out.flush();
    return Main.OK;
  }
}
