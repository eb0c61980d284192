package io.rowguard.connectors;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Op;
import io.rowguard.journal.Journal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the source committed, read independently of Debezium: a second replication slot with
 * PostgreSQL's own test_decoding plugin. Changes are compared as "tx table op id" lines with what
 * the journal holds.
 */
public final class ChangeOracle {
  private static final Pattern CHANGE =
      Pattern.compile("^table public\\.(\\w+): (INSERT|UPDATE|DELETE): (.*)$");
  private static final Pattern ID = Pattern.compile("\\bid\\[bigint]:(-?\\d+)");

  private final PostgresFixture pg;
  private final String slot;

  private ChangeOracle(PostgresFixture pg, String slot) {
    this.pg = pg;
    this.slot = slot;
  }

  /** Starts recording: every change committed from now on. */
  public static ChangeOracle start(PostgresFixture pg, String slot) throws Exception {
    pg.exec("SELECT pg_create_logical_replication_slot('" + slot + "', 'test_decoding')");
    return new ChangeOracle(pg, slot);
  }

  /** The committed changes since the start, in commit order. */
  public List<String> changes() throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT xid, data FROM pg_logical_slot_peek_changes('" + slot + "', NULL, NULL)")) {
      while (rs.next()) {
        Matcher m = CHANGE.matcher(rs.getString(2));
        if (!m.matches()) {
          continue;
        }
        String tuple = m.group(3);
        int newTuple = tuple.indexOf("new-tuple:");
        Matcher id = ID.matcher(newTuple >= 0 ? tuple.substring(newTuple) : tuple);
        if (!id.find()) {
          throw new AssertionError("no id in " + rs.getString(2));
        }
        out.add(rs.getString(1) + " " + m.group(1) + " " + m.group(2) + " " + id.group(1));
      }
    }
    return out;
  }

  /** The journal's streamed changes (not the snapshot) in the same form. */
  public static List<String> journaled(Journal journal) {
    List<String> out = new ArrayList<>();
    journal.scan(
        1,
        e -> {
          ChangeEvent c = e.event();
          if (c.op() != Op.READ) {
            out.add(c.txId() + " " + c.table().name() + " " + c.op().name() + " " + c.key());
          }
          return true;
        });
    return out;
  }

  /** The streamed changes of the journal in {@code dir}, read beside its writer; empty if none. */
  public static List<String> journaled(Path dir) {
    if (!Files.exists(dir.resolve("CURRENT"))) {
      return List.of();
    }
    try (Journal journal = Journal.openReader(dir)) {
      return journaled(journal);
    }
  }
}
