package io.rowguard.cli;

import io.rowguard.cli.internal.GapView;
import io.rowguard.cli.internal.HistoryView;
import io.rowguard.cli.internal.Json;
import io.rowguard.cli.internal.Logging;
import io.rowguard.cli.internal.TableResolver;
import io.rowguard.core.InputException;
import io.rowguard.core.RowKey;
import io.rowguard.core.RowguardConfig;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    description = {
      "Show every journaled version of one row: when it was committed, in which transaction, and"
          + " what changed. Works while capture runs.",
    },
    footer = {
      "",
      "Examples:",
      "  rowguard history -c shop.properties --table public.orders --key 42",
      "  rowguard history -c shop.properties --table order_items --key order_id=42,line=1 --json"
    })
final class HistoryCommand implements Callable<Integer> {
  @Mixin ConfigOption config;

  @Option(
      names = "--table",
      required = true,
      paramLabel = "T",
      description =
          "The table: schema.table, or table when unambiguous. Quote odd names: "
              + "'\"My Schema\".\"Order Items\"'.")
  String table;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "K",
      description =
          "The primary key: a bare value for a one-column key, col=value,col=value for"
              + " a composite key (escape , and = in values with a backslash).")
  String key;

  @Option(names = "--json", description = "Print one JSON document instead of a table.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    Logging.quiet();
    RowguardConfig cfg = config.load();
    try (Journal journal = Journal.openReader(cfg.journalDir())) {
      TableId id = TableResolver.resolve(table, journal.tables());
      TableSchema schema = journal.latestSchema(id).orElseThrow();
      RowKey rowKey = RowKey.parse(key, schema);
      List<JournalEntry> history = journal.history(id, rowKey);
      if (history.isEmpty()) {
        throw new InputException(
            "no row of "
                + id
                + " with key "
                + rowKey
                + " in the journal (key columns: "
                + String.join(", ", schema.keyColumns())
                + ")");
      }
      PrintWriter out = spec.commandLine().getOut();
      var gaps = GapView.of(journal.gaps(), id);
      if (json) {
        var doc = HistoryView.json(id, rowKey, history, journal::attribution);
        doc.set("gaps", GapView.json(gaps));
        Json.print(out, doc);
      } else {
        HistoryView.printText(out, id, rowKey, history, journal::attribution);
        GapView.print(out, "note: gap in ", gaps);
        out.flush();
      }
      return Main.OK;
    }
  }
}
