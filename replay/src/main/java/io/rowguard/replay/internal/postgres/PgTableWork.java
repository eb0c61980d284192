package io.rowguard.replay.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.Column;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.replay.Action;
import io.rowguard.replay.ConflictPolicy;
import io.rowguard.replay.PlanApplier.Progress;
import io.rowguard.replay.ReplayException;
import io.rowguard.replay.RowChange;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One table's part of a plan, staged in a temporary table: the live table as the catalog has it,
 * the plan's columns (those of its images the live table still has), and the rows, copied in as
 * text. {@link #checks} and {@link #writer} hold the statements that check and write them.
 */
final class PgTableWork {
  /** From this share of a table's rows on, a plan's joins hash the table ({@code bulk}). */
  private static final double BULK_SHARE = 0.2;

  private final Connection connection;

  final TableId table;
  List<RowChange> rows = List.of();
  final String temp;
  List<String> keyColumns;
  final List<String> columns = new ArrayList<>();
  final Map<String, String> types = new HashMap<>();
  final Set<String> writable = new LinkedHashSet<>();
  final Map<Action, Integer> expected = new EnumMap<>(Action.class);
  final Map<TableSchema, int[]> positions = new IdentityHashMap<>();

  /** The distinct sets of columns written (w_cols) by rows that have a target. */
  final Set<String> writePatterns = new LinkedHashSet<>();

  private String lastTx;
  private String lastXid;
  private List<String> lastChanged;
  private int[] lastCur;
  private int[] lastTgt;
  private String lastWrites;

  final ConflictPolicy policy;

  /**
   * Staged for the lean check only: the journal's current state is represented by the xid that
   * wrote it, and of the target only the values to write.
   */
  final boolean lean;

  boolean identityAlways;

  /** The live table's columns and their types, in its order; generated ones; its row estimate. */
  final Map<String, String> live = new LinkedHashMap<>();

  final Set<String> generated = new HashSet<>();
  double tuples = -1;

  /**
   * Live columns whose type has a modifier (varchar(5), numeric(10,1), timestamp(0)), with the type
   * without it: a cast to such a type can cut or round a value without an error.
   */
  final Map<String, String> narrowable = new HashMap<>();

  /** The live columns' type modifiers (atttypmod; -1 when none). */
  final Map<String, Integer> typmods = new HashMap<>();

  /** The live columns by number (attnum): a column renamed since keeps its number. */
  final Map<Integer, String> numbered = new HashMap<>();

  /**
   * The live column an image's column is now: the one with its number when capture recorded it
   * (renamed or not; a column dropped and added again under the name is another column), else the
   * one with its name; null when it is gone.
   */
  String liveName(Column c) {
    int number = c.number();
    if (number > 0) {
      return numbered.get(number);
    }
    return live.containsKey(c.name()) ? c.name() : null;
  }

  /** The live columns that the plan's images have. */
  final Set<String> imaged = new HashSet<>();

  /** The COPY into the temporary table while it is open. */
  private final PgCopy copy = new PgCopy();

  /** The checks and the writes of the staged rows. */
  final PgTableChecks checks;

  final PgTableWrites writer;

  PgTableWork(
      Connection connection, TableId table, String temp, ConflictPolicy policy, boolean lean) {
    this.connection = connection;
    this.checks = new PgTableChecks(this, connection);
    this.writer = new PgTableWrites(this, checks, connection);
    this.table = table;
    this.temp = temp;
    this.policy = policy;
    this.lean = lean;
  }

  /** The plan's rows of this table. */
  void plan(List<RowChange> rows) {
    this.rows = rows;
    if (keyColumns == null) {
      keyColumns = rows.get(0).schema().keyColumns();
    }
    for (Action a : Action.values()) {
      expected.put(a, 0);
    }
    for (RowChange c : rows) {
      expected.merge(c.action(), 1, Integer::sum);
    }
  }

  /**
   * The plan writes a large share of the table: its joins hash the whole table rather than probe
   * the key index once per row. PostgreSQL can't know it: the temporary table has no statistics.
   */
  boolean bulk() {
    return tuples > 0 && rows.size() >= BULK_SHARE * tuples; // -1: never counted
  }

  void describeLiveTable(List<String> warnings) throws SQLException {
    readLiveTable();
    imageColumns(warnings);
  }

  /** The live table as the catalog has it now; nothing when it is gone. */
  void readLiveTable() throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',"
                + " a.attidentity = 'a', c.reltuples, CASE WHEN a.atttypmod >= 0 THEN"
                + " format_type(a.atttypid, NULL) END, a.attnum, a.atttypmod FROM pg_attribute a"
                + " JOIN pg_class c ON c.oid = a.attrelid WHERE a.attrelid = to_regclass(?)"
                + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setString(1, POSTGRES.quote(table));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          live.put(rs.getString(1), rs.getString(2));
          if (rs.getBoolean(3)) {
            generated.add(rs.getString(1));
          }
          identityAlways |= rs.getBoolean(4);
          tuples = rs.getDouble(5);
          if (rs.getString(6) != null) {
            // without a modifier, character is character(1) and bit is bit(1): not the type
            // without limits
            String base =
                switch (rs.getString(6)) {
                  case "character" -> "bpchar";
                  case "bit" -> "varbit";
                  default -> rs.getString(6);
                };
            narrowable.put(rs.getString(1), base);
          }
          numbered.put(rs.getInt(7), rs.getString(1));
          typmods.put(rs.getString(1), rs.getInt(8));
        }
      }
    }
  }

  /** Whether the live table's columns, their types or kinds differ from what was read. */
  boolean liveTableChanged() throws SQLException {
    PgTableWork now = new PgTableWork(connection, table, temp, policy, lean);
    now.readLiveTable();
    return !now.live.equals(live)
        || !now.generated.equals(generated)
        || now.identityAlways != identityAlways;
  }

  /** Notes the set of columns a row writes, as staging it does. */
  void notePattern(RowChange c) {
    if (c.target() != null) {
      int[] cur = c.current() == null ? null : positions(c.current().schema());
      writePatterns.add(writes(c, cur, positions(c.target().schema())));
    }
  }

  /** Every live column is one of the plan's, whether or not its images have it. */
  void allLiveColumns() {
    for (Map.Entry<String, String> e : live.entrySet()) {
      if (!types.containsKey(e.getKey())) {
        columns.add(e.getKey());
        types.put(e.getKey(), e.getValue());
        if (!generated.contains(e.getKey())) {
          writable.add(e.getKey());
        }
      }
    }
  }

  /**
   * The plan's columns: those of its images the live table still has. The ones it no longer has are
   * warned about, with the number of rows whose earlier values they hold.
   */
  void imageColumns(List<String> warnings) {
    if (live.isEmpty()) {
      throw new ReplayException("table " + table + " no longer exists in the database");
    }
    for (String k : keyColumns) {
      if (!live.containsKey(k)) {
        throw new ReplayException(
            "key column " + k + " of " + table + " no longer exists; rows cannot be matched");
      }
    }
    // per image schema (a handful per table): its live columns join the plan's, its dropped
    // ones are remembered; per row, only a target's dropped columns are looked at
    Map<TableSchema, List<String>> dropped = new IdentityHashMap<>();
    Map<String, Integer> lost = new TreeMap<>();
    TableSchema seen = null; // the rows of a plan nearly all share one schema
    for (RowChange c : rows) {
      if (c.current() != null && c.current().schema() != seen) {
        dropped.computeIfAbsent(c.current().schema(), this::liveColumns);
      }
      Row target = c.target();
      if (target == null) {
        continue;
      }
      if (target.schema() != seen) {
        seen = target.schema();
        dropped.computeIfAbsent(seen, this::liveColumns);
      }
      for (String col : dropped.get(seen)) {
        if (target.get(seen.indexOf(col)) != null) {
          lost.merge(col, 1, Integer::sum); // an earlier value that has nowhere to go
        }
      }
    }
    lost.forEach(
        (col, count) ->
            warnings.add(
                "column "
                    + col
                    + " of "
                    + table
                    + " was dropped since: its earlier values in "
                    + count
                    + " row(s) cannot be restored"));
  }

  /** Adds a schema's live columns to the plan's; returns its columns that are gone. */
  private List<String> liveColumns(TableSchema schema) {
    List<String> gone = new ArrayList<>();
    for (Column column : schema.columns()) {
      String col = liveName(column);
      if (col == null) {
        gone.add(column.name());
        continue;
      }
      imaged.add(col);
      if (!types.containsKey(col)) {
        columns.add(col);
        types.put(col, live.get(col));
        if (!generated.contains(col)) {
          writable.add(col);
        }
      }
    }
    return gone;
  }

  /** For each of the plan's columns, its index in an image's schema, or -1. */
  private int[] positions(TableSchema schema) {
    int[] at = positions.get(schema);
    if (at == null) {
      Map<String, Integer> byLiveName = new HashMap<>();
      for (int j = 0; j < schema.size(); j++) {
        String name = liveName(schema.column(j));
        if (name != null) {
          byLiveName.put(name, j);
        }
      }
      at = new int[columns.size()];
      for (int i = 0; i < at.length; i++) {
        at[i] = byLiveName.getOrDefault(columns.get(i), -1);
      }
      positions.put(schema, at);
    }
    return at;
  }

  void load(Progress progress, long before, long total) throws SQLException {
    openCopy();
    try {
      for (int r = 0; r < rows.size(); r++) {
        if (stage(r, rows.get(r)) || r == rows.size() - 1) {
          progress.update("loading the plan", before + r + 1, total);
        }
      }
      closeCopy();
    } finally {
      abandonCopy();
    }
  }

  /** Creates the temporary table and opens the COPY into it. */
  void openCopy() throws SQLException {
    StringBuilder ddl =
        new StringBuilder("CREATE TEMP TABLE ")
            .append(temp)
            .append(
                lean
                    ? " (ord int, tgt_present boolean, tgt_cols text, w_cols text, cur_xid xid"
                    : " (ord int, cur_present boolean, tgt_present boolean, cur_cols text,"
                        + " tgt_cols text, w_cols text");
    for (int i = 0; i < keyColumns.size(); i++) {
      ddl.append(", k").append(i).append(" text");
    }
    for (int i = 0; i < columns.size(); i++) {
      ddl.append(lean ? "" : ", c" + i + " text").append(", t").append(i).append(" text");
    }
    ddl.append(") ON COMMIT DROP");
    try (Statement s = connection.createStatement()) {
      s.execute(ddl.toString());
    }
    copy.open(connection, temp);
  }

  /**
   * One row into the open COPY, as row {@code ord}; true when it ended a chunk of {@link
   * PgCopy#CHUNK} rows, which was sent.
   */
  boolean stage(int ord, RowChange c) throws SQLException {
    appendCopyLine(copy.line(), ord, c);
    return copy.endLine();
  }

  void closeCopy() throws SQLException {
    copy.close();
  }

  /** Cancels a COPY still open (after a failure); the transaction is then to be rolled back. */
  void abandonCopy() {
    copy.abandon();
  }

  private void appendCopyLine(StringBuilder buf, int r, RowChange c) {
    Row current = c.current();
    Row target = c.target();
    int[] cur = current == null ? null : positions(current.schema());
    int[] tgt = target == null ? null : positions(target.schema());
    buf.append(r).append('\t');
    if (!lean) {
      buf.append(current != null ? 't' : 'f').append('\t');
    }
    buf.append(target != null ? 't' : 'f').append('\t');
    if (!lean) {
      appendPresence(buf, cur).append('\t');
    }
    appendPresence(buf, tgt).append('\t');
    String writes = writes(c, cur, tgt);
    buf.append(writes);
    if (target != null) {
      writePatterns.add(writes);
    }
    if (lean) {
      buf.append('\t').append(current != null ? xid(c.currentTx()) : "\\N");
    }
    Row keyImage = current != null ? current : target;
    for (String k : keyColumns) {
      int i = keyImage.schema().indexOf(k);
      buf.append('\t');
      PgCopy.appendField(buf, PgText.of(keyImage.get(i), keyImage.schema().column(i).schema()));
    }
    for (int i = 0; i < columns.size(); i++) {
      if (!lean) {
        buf.append('\t');
        PgCopy.appendField(buf, text(current, cur, i));
      }
      buf.append('\t');
      // whole: even where the update leaves a column alone, for a row that went away meanwhile
      // (a cascade of this very plan's deletes) is inserted again from it; lean: what is written
      PgCopy.appendField(buf, lean && writes.charAt(i) != '1' ? null : text(target, tgt, i));
    }
  }

  /** A journaled transaction id as a PostgreSQL xid; NULL (never equal) when it is not one. */
  private String xid(String txId) {
    if (!txId.equals(lastTx)) { // a mass write's rows share one
      lastTx = txId;
      lastXid = parseXid(txId);
    }
    return lastXid;
  }

  private static String parseXid(String txId) {
    try {
      long x = Long.parseLong(txId);
      return x >= 0 && x <= 0xFFFF_FFFFL ? txId : "\\N";
    } catch (NumberFormatException e) {
      return "\\N";
    }
  }

  /**
   * The columns to write: for a row that will only be written while it is the journal's current
   * state, the ones that change; when it is inserted or overwritten whatever it holds, all the
   * target has.
   */
  private String writes(RowChange c, int[] cur, int[] tgt) {
    // the rows of a mass write share their changed columns (one list) and image schemas
    if (c.changedColumns() == lastChanged && cur == lastCur && tgt == lastTgt) {
      return lastWrites;
    }
    lastChanged = c.changedColumns();
    lastCur = cur;
    lastTgt = tgt;
    lastWrites = computeWrites(c.changedColumns(), cur, tgt, c.target());
    return lastWrites;
  }

  private String computeWrites(List<String> changed, int[] cur, int[] tgt, Row target) {
    if (tgt == null) {
      return "0".repeat(columns.size());
    }
    boolean all = cur == null || policy == ConflictPolicy.OVERWRITE;
    StringBuilder sb = new StringBuilder(columns.size());
    for (int i = 0; i < tgt.length; i++) {
      // the changed columns are named as the target image names them (before a rename)
      boolean write =
          tgt[i] >= 0
              && (all || cur[i] < 0 || changed.contains(target.schema().column(tgt[i]).name()));
      sb.append(write ? '1' : '0');
    }
    return sb.toString();
  }

  private StringBuilder appendPresence(StringBuilder buf, int[] at) {
    for (int i = 0; i < columns.size(); i++) {
      buf.append(at != null && at[i] >= 0 ? '1' : '0');
    }
    return buf;
  }

  private static String text(Row image, int[] at, int column) {
    if (image == null || at[column] < 0) {
      return null;
    }
    int i = at[column];
    return PgText.of(image.get(i), image.schema().column(i).schema());
  }
}
