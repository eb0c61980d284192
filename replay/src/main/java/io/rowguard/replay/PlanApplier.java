package io.rowguard.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.Column;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.replay.internal.PgText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * Applies a plan to PostgreSQL in one transaction, set-based: the plan's rows are copied into a
 * temporary table, and one DELETE, one UPDATE and one INSERT per table write the target states, in
 * foreign-key order, each only where the live row is still the state the journal says is current.
 * With {@link ConflictPolicy#ABORT} that check is the write itself: when every statement wrote
 * every row it should, there was no conflict (a row that a concurrent writer changes is re-checked
 * by PostgreSQL against its new version before it is written). Otherwise, and for the other
 * policies, the writes are undone to a savepoint, the live rows are locked ({@code FOR UPDATE}) and
 * compared column by column, and the conflicts are reported or handled. A rowguard logical message
 * in the same transaction marks the writes as this rollback, so the journal records them as such
 * and they can be backed out.
 */
public final class PlanApplier {
  /** Reports progress of long work: a phase, done so far, total. */
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int COPY_CHUNK = 10_000;

  private final Connection connection;

  /** The caller owns the connection; it is left in auto-commit mode afterwards. */
  public PlanApplier(Connection connection) {
    this.connection = connection;
  }

  public ApplyResult apply(
      RollbackPlan plan, ConflictPolicy policy, String operator, String reason, Progress progress) {
    Map<Action, Integer> applied = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      applied.put(a, 0);
    }
    if (plan.changes().isEmpty()) {
      return new ApplyResult(plan.id(), "", applied, List.of(), false, plan.warnings());
    }
    try {
      connection.setAutoCommit(false);
      try {
        ApplyResult result = applyInTransaction(plan, policy, operator, reason, progress, applied);
        if (result.aborted()) {
          connection.rollback();
        } else {
          connection.commit();
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw describe(e);
    }
  }

  private ApplyResult applyInTransaction(
      RollbackPlan plan,
      ConflictPolicy policy,
      String operator,
      String reason,
      Progress progress,
      Map<Action, Integer> applied)
      throws SQLException {
    String txId;
    try (Statement s = connection.createStatement()) {
      s.execute("SET CONSTRAINTS ALL DEFERRED");
      // the joins of a large plan hash in memory rather than in batches on disk
      s.execute("SET LOCAL work_mem = '64MB'");
      try (ResultSet rs = s.executeQuery("SELECT txid_current() % 4294967296")) {
        rs.next();
        txId = rs.getString(1);
      }
    }
    markTransaction(plan, operator, reason);

    Map<TableId, List<RowChange>> byTable = new LinkedHashMap<>();
    for (RowChange c : plan.changes()) {
      byTable.computeIfAbsent(c.table(), t -> new ArrayList<>()).add(c);
    }
    List<String> warnings = new ArrayList<>(plan.warnings());
    List<ApplyResult.Conflict> conflicts = new ArrayList<>();
    Map<TableId, TableWork> work = new LinkedHashMap<>();
    long loaded = 0;
    long total = plan.changes().size();
    int n = 0;
    for (Map.Entry<TableId, List<RowChange>> e : byTable.entrySet()) {
      TableWork w = new TableWork(e.getKey(), e.getValue(), "rg_plan_" + n++, policy);
      w.describeLiveTable(warnings);
      w.load(progress, loaded, total);
      loaded += w.rows.size();
      work.put(e.getKey(), w);
    }
    List<TableWork> ordered = foreignKeyOrder(work);
    boolean dependents = plan.changes().stream().anyMatch(c -> !c.dependents().isEmpty());
    if (policy == ConflictPolicy.ABORT && !dependents) {
      if (writeChecked(ordered, applied)) {
        progress.update("applied", total, total);
        return new ApplyResult(plan.id(), txId, applied, List.of(), false, warnings);
      }
      applied.replaceAll((a, count) -> 0);
    }
    for (TableWork w : work.values()) {
      w.lockRows();
      conflicts.addAll(w.conflicts());
    }
    if (!conflicts.isEmpty()) {
      if (policy == ConflictPolicy.ABORT) {
        return new ApplyResult(plan.id(), "", applied, conflicts, true, warnings);
      }
      if (policy == ConflictPolicy.SKIP) {
        for (TableWork w : work.values()) {
          w.dropConflicting(conflicts);
        }
      }
    }
    for (int i = ordered.size() - 1; i >= 0; i--) {
      applied.merge(Action.DELETE, ordered.get(i).deleteRows(false), Integer::sum);
    }
    for (TableWork w : ordered) {
      applied.merge(Action.UPDATE, w.updateRows(false), Integer::sum);
      applied.merge(Action.INSERT, w.insertRows(true), Integer::sum);
    }
    progress.update("applied", total, total);
    return new ApplyResult(plan.id(), txId, applied, conflicts, false, warnings);
  }

  /**
   * Writes every table's rows, each statement only where the live row is what the journal says is
   * current. True when every row was written: nothing conflicted. Otherwise the writes are undone
   * and false returned, for the locking check to find and name the conflicts.
   */
  private boolean writeChecked(List<TableWork> ordered, Map<Action, Integer> applied)
      throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute("SAVEPOINT rg_checked");
      boolean clean = true;
      for (int i = ordered.size() - 1; i >= 0 && clean; i--) {
        TableWork w = ordered.get(i);
        int deleted = w.deleteRows(true);
        applied.merge(Action.DELETE, deleted, Integer::sum);
        clean = deleted == w.expected.get(Action.DELETE);
      }
      for (int i = 0; i < ordered.size() && clean; i++) {
        TableWork w = ordered.get(i);
        int updated = w.updateRows(true);
        applied.merge(Action.UPDATE, updated, Integer::sum);
        clean = updated == w.expected.get(Action.UPDATE);
        if (clean) {
          int inserted = w.insertRows(false);
          applied.merge(Action.INSERT, inserted, Integer::sum);
          clean = inserted == w.expected.get(Action.INSERT);
        }
      }
      s.execute(clean ? "RELEASE SAVEPOINT rg_checked" : "ROLLBACK TO SAVEPOINT rg_checked");
      return clean;
    }
  }

  private void markTransaction(RollbackPlan plan, String operator, String reason)
      throws SQLException {
    Map<String, String> message = new LinkedHashMap<>();
    message.put("actor", operator);
    message.put("reason", reason);
    message.put("rollback", plan.id());
    message.put("description", plan.description());
    String json;
    try {
      json = JSON.writeValueAsString(message);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT pg_logical_emit_message(true, 'rowguard', ?)")) {
      ps.setString(1, json);
      ps.execute();
    }
  }

  /** One table's part of the plan, staged in a temporary table. */
  private final class TableWork {
    final TableId table;
    final List<RowChange> rows;
    final String temp;
    final List<String> keyColumns;
    final List<String> columns = new ArrayList<>();
    final Map<String, String> types = new HashMap<>();
    final Set<String> writable = new LinkedHashSet<>();
    final Map<Action, Integer> expected = new EnumMap<>(Action.class);
    final Map<TableSchema, int[]> positions = new IdentityHashMap<>();
    final ConflictPolicy policy;
    boolean identityAlways;

    TableWork(TableId table, List<RowChange> rows, String temp, ConflictPolicy policy) {
      this.table = table;
      this.rows = rows;
      this.temp = temp;
      this.policy = policy;
      this.keyColumns = rows.get(0).schema().keyColumns();
      for (Action a : Action.values()) {
        expected.put(a, 0);
      }
      for (RowChange c : rows) {
        expected.merge(c.action(), 1, Integer::sum);
      }
    }

    void describeLiveTable(List<String> warnings) throws SQLException {
      Map<String, String> live = new LinkedHashMap<>();
      Set<String> generated = new HashSet<>();
      try (PreparedStatement ps =
          connection.prepareStatement(
              "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attgenerated <> '',"
                  + " a.attidentity = 'a' FROM pg_attribute a WHERE a.attrelid = to_regclass(?)"
                  + " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
        ps.setString(1, table.quoted());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            live.put(rs.getString(1), rs.getString(2));
            if (rs.getBoolean(3)) {
              generated.add(rs.getString(1));
            }
            identityAlways |= rs.getBoolean(4);
          }
        }
      }
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
      for (RowChange c : rows) {
        for (Row image : new Row[] {c.current(), c.target()}) {
          if (image == null) {
            continue;
          }
          List<String> gone =
              dropped.computeIfAbsent(
                  image.schema(), schema -> liveColumns(schema, live, generated));
          if (image == c.target()) {
            for (String col : gone) {
              if (c.changedColumns().contains(col)) {
                lost.merge(col, 1, Integer::sum);
              }
            }
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
    private List<String> liveColumns(
        TableSchema schema, Map<String, String> live, Set<String> generated) {
      List<String> gone = new ArrayList<>();
      for (Column column : schema.columns()) {
        String col = column.name();
        if (!live.containsKey(col)) {
          gone.add(col);
        } else if (!types.containsKey(col)) {
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
      return positions.computeIfAbsent(
          schema,
          s -> {
            int[] at = new int[columns.size()];
            for (int i = 0; i < at.length; i++) {
              at[i] = s.indexOf(columns.get(i));
            }
            return at;
          });
    }

    void load(Progress progress, long before, long total) throws SQLException {
      StringBuilder ddl =
          new StringBuilder("CREATE TEMP TABLE ")
              .append(temp)
              .append(
                  " (ord int, cur_present boolean, tgt_present boolean, cur_cols text,"
                      + " tgt_cols text, w_cols text");
      for (int i = 0; i < keyColumns.size(); i++) {
        ddl.append(", k").append(i).append(" text");
      }
      for (int i = 0; i < columns.size(); i++) {
        ddl.append(", c").append(i).append(" text, t").append(i).append(" text");
      }
      ddl.append(") ON COMMIT DROP");
      try (Statement s = connection.createStatement()) {
        s.execute(ddl.toString());
      }
      // one COPY, streamed in chunks: the server parses one while the next is built
      CopyIn in =
          connection.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + temp + " FROM STDIN");
      try {
        StringBuilder buf = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
          appendCopyLine(buf, r, rows.get(r));
          if ((r + 1) % COPY_CHUNK == 0 || r == rows.size() - 1) {
            byte[] bytes = buf.toString().getBytes(StandardCharsets.UTF_8);
            in.writeToCopy(bytes, 0, bytes.length);
            buf.setLength(0);
            progress.update("loading the plan", before + r + 1, total);
          }
        }
        in.endCopy();
      } finally {
        if (in.isActive()) {
          in.cancelCopy();
        }
      }
    }

    private void appendCopyLine(StringBuilder buf, int r, RowChange c) {
      Row current = c.current();
      Row target = c.target();
      int[] cur = current == null ? null : positions(current.schema());
      int[] tgt = target == null ? null : positions(target.schema());
      buf.append(r).append('\t').append(current != null ? 't' : 'f').append('\t');
      buf.append(target != null ? 't' : 'f').append('\t');
      appendPresence(buf, cur).append('\t');
      appendPresence(buf, tgt).append('\t');
      String writes = writes(c, cur, tgt);
      buf.append(writes);
      Row keyImage = current != null ? current : target;
      for (String k : keyColumns) {
        int i = keyImage.schema().indexOf(k);
        buf.append('\t');
        appendCopyField(buf, PgText.of(keyImage.get(i), keyImage.schema().column(i).schema()));
      }
      for (int i = 0; i < columns.size(); i++) {
        buf.append('\t');
        appendCopyField(buf, text(current, cur, i));
        buf.append('\t');
        // the whole target, even where the update leaves a column alone: a row that went away
        // meanwhile (a cascade of this very plan's deletes) is inserted again from it
        appendCopyField(buf, text(target, tgt, i));
      }
      buf.append('\n');
    }

    /**
     * The columns to write: for a row that will only be written while it is the journal's current
     * state, the ones that change; when it is inserted or overwritten whatever it holds, all the
     * target has.
     */
    private String writes(RowChange c, int[] cur, int[] tgt) {
      if (tgt == null) {
        return "0".repeat(columns.size());
      }
      boolean all = cur == null || policy == ConflictPolicy.OVERWRITE;
      List<String> changed = c.changedColumns();
      StringBuilder sb = new StringBuilder(columns.size());
      for (int i = 0; i < tgt.length; i++) {
        boolean write = tgt[i] >= 0 && (all || cur[i] < 0 || changed.contains(columns.get(i)));
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

    private String keyMatch() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < keyColumns.size(); i++) {
        String col = keyColumns.get(i);
        sb.append(i == 0 ? "" : " AND ")
            .append("t.")
            .append(TableId.quote(col))
            .append(" = p.k")
            .append(i)
            .append("::")
            .append(types.getOrDefault(col, "text"));
      }
      return sb.toString();
    }

    void lockRows() throws SQLException {
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT 1 FROM "
                      + table.quoted()
                      + " t JOIN "
                      + temp
                      + " p ON "
                      + keyMatch()
                      + " FOR UPDATE OF t")) {
        while (rs.next()) {
          // locking is the point
        }
      }
    }

    /**
     * A column's live value against the journal's current one, compared in the column type's own
     * text form, or with {@code =} for types whose equal values always print alike (for numeric
     * only with a declared scale: {@code 1.0 = 1.00}). A streamed timetz reaches the journal
     * normalised to UTC, so timetz compares as UTC.
     */
    private String differs(int i) {
      String col = columns.get(i);
      String type = types.get(col);
      String live = "t." + TableId.quote(col);
      String journaled = "p.c" + i + "::" + type;
      if (type.startsWith("time")
          && type.endsWith("with time zone")
          && !type.startsWith("timestamp")) {
        live = "(" + live + " AT TIME ZONE 'UTC')";
        journaled = "(" + journaled + " AT TIME ZONE 'UTC')";
      }
      // text compares byte for byte: under a nondeterministic collation 'Foo' = 'foo'
      String different =
          exactEquality(type)
              ? collated(type, live) + " IS DISTINCT FROM " + collated(type, journaled)
              : "("
                  + live
                  + ")::text COLLATE \"C\" IS DISTINCT FROM ("
                  + journaled
                  + ")::text COLLATE \"C\"";
      return "substr(p.cur_cols, " + (i + 1) + ", 1) = '1' AND " + different;
    }

    List<ApplyResult.Conflict> conflicts() throws SQLException {
      StringBuilder changed = new StringBuilder("array_remove(ARRAY[NULL::text");
      StringBuilder any = new StringBuilder("false");
      for (int i = 0; i < columns.size(); i++) {
        changed
            .append(", CASE WHEN ")
            .append(differs(i))
            .append(" THEN ")
            .append(PgText.literal(columns.get(i)))
            .append(" END");
        any.append(" OR (").append(differs(i)).append(")");
      }
      changed.append("], NULL)");
      String sql =
          "SELECT p.ord, CASE WHEN NOT p.cur_present THEN 'exists, but the journal has no live"
              + " row with this key: it was inserted after the journal''s last version or is"
              + " being inserted now' WHEN t.ctid IS NULL THEN 'is gone: it was deleted after the"
              + " journal''s last version' ELSE 'changed after the journal''s last version (written"
              + " since, or being written now): ' || array_to_string("
              + changed
              + ", ', ')"
              + " END FROM "
              + temp
              + " p LEFT JOIN "
              + table.quoted()
              + " t ON "
              + keyMatch()
              + " WHERE (p.cur_present AND (t.ctid IS NULL OR "
              + any
              + "))"
              + " OR (NOT p.cur_present AND t.ctid IS NOT NULL) ORDER BY p.ord";
      List<ApplyResult.Conflict> out = new ArrayList<>();
      Set<Integer> seen = new HashSet<>();
      try (Statement s = connection.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        while (rs.next()) {
          RowChange c = rows.get(rs.getInt(1));
          seen.add(rs.getInt(1));
          out.add(new ApplyResult.Conflict(table, c.key(), "row " + rs.getString(2)));
        }
      }
      for (int r = 0; r < rows.size(); r++) {
        RowChange c = rows.get(r);
        if (!c.dependents().isEmpty() && !seen.contains(r)) {
          out.add(
              new ApplyResult.Conflict(
                  table,
                  c.key(),
                  "row was changed later by transaction(s) "
                      + String.join(", ", c.dependents())
                      + " (--cascade backs them out too)"));
        }
      }
      return out;
    }

    void dropConflicting(List<ApplyResult.Conflict> conflicts) throws SQLException {
      List<Integer> ords = new ArrayList<>();
      Set<RowKey> keys = new HashSet<>();
      for (ApplyResult.Conflict c : conflicts) {
        if (c.table().equals(table)) {
          keys.add(c.key());
        }
      }
      for (int r = 0; r < rows.size(); r++) {
        if (keys.contains(rows.get(r).key())) {
          ords.add(r);
        }
      }
      if (ords.isEmpty()) {
        return;
      }
      try (PreparedStatement ps =
          connection.prepareStatement("DELETE FROM " + temp + " WHERE ord = ANY (?)")) {
        ps.setArray(1, connection.createArrayOf("int4", ords.toArray()));
        ps.executeUpdate();
      }
    }

    /** The live row (joined as t) is the state the journal says is current. */
    private String unchanged() {
      StringBuilder any = new StringBuilder("p.cur_present AND NOT (false");
      for (int i = 0; i < columns.size(); i++) {
        any.append(" OR (").append(differs(i)).append(")");
      }
      return any.append(")").toString();
    }

    /**
     * @param checked only rows that are still the journal's current state
     */
    int deleteRows(boolean checked) throws SQLException {
      if (expected.get(Action.DELETE) == 0) {
        return 0;
      }
      try (Statement s = connection.createStatement()) {
        return s.executeUpdate(
            "DELETE FROM "
                + table.quoted()
                + " t USING "
                + temp
                + " p WHERE "
                + keyMatch()
                + " AND NOT p.tgt_present"
                + (checked ? " AND " + unchanged() : ""));
      }
    }

    /**
     * @param checked only rows that are still the journal's current state
     */
    int updateRows(boolean checked) throws SQLException {
      if (expected.get(Action.UPDATE) + expected.get(Action.INSERT) == 0) {
        return 0;
      }
      StringBuilder set = new StringBuilder();
      int i = 0;
      for (String col : columns) {
        if (writable.contains(col) && !keyColumns.contains(col)) {
          set.append(set.length() == 0 ? "" : ", ")
              .append(TableId.quote(col))
              .append(" = CASE WHEN substr(p.w_cols, ")
              .append(i + 1)
              .append(", 1) = '1' THEN p.t")
              .append(i)
              .append("::")
              .append(types.get(col))
              .append(" ELSE t.")
              .append(TableId.quote(col))
              .append(" END");
        }
        i++;
      }
      if (set.length() == 0) {
        return 0;
      }
      try (Statement s = connection.createStatement()) {
        return s.executeUpdate(
            "UPDATE "
                + table.quoted()
                + " t SET "
                + set
                + " FROM "
                + temp
                + " p WHERE "
                + keyMatch()
                + " AND p.tgt_present"
                + (checked ? " AND " + unchanged() : ""));
      }
    }

    /**
     * Inserts the target rows that are not there. Checked writes ({@code anyMissing} false) only
     * look when the plan has inserts: a row the plan updates that went away makes the update's
     * count fall short instead. After the locking check, a row can also have gone because of the
     * plan's own deletes (a cascade, a trigger); it is inserted again whole.
     */
    int insertRows(boolean anyMissing) throws SQLException {
      if (!anyMissing && expected.get(Action.INSERT) == 0) {
        return 0;
      }
      List<String> patterns = new ArrayList<>();
      String missing =
          "p.tgt_present AND NOT EXISTS (SELECT 1 FROM "
              + table.quoted()
              + " t WHERE "
              + keyMatch()
              + ")";
      try (Statement s = connection.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT DISTINCT tgt_cols FROM " + temp + " p WHERE " + missing)) {
        while (rs.next()) {
          patterns.add(rs.getString(1));
        }
      }
      int inserted = 0;
      for (String pattern : patterns) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
          String col = columns.get(i);
          if (pattern.charAt(i) == '1' && writable.contains(col)) {
            names.add(TableId.quote(col));
            values.add("p.t" + i + "::" + types.get(col));
          }
        }
        try (PreparedStatement ps =
            connection.prepareStatement(
                "INSERT INTO "
                    + table.quoted()
                    + " ("
                    + String.join(", ", names)
                    + ")"
                    + (identityAlways ? " OVERRIDING SYSTEM VALUE" : "")
                    + " SELECT "
                    + String.join(", ", values)
                    + " FROM "
                    + temp
                    + " p WHERE "
                    + missing
                    + " AND p.tgt_cols = ?")) {
          ps.setString(1, pattern);
          inserted += ps.executeUpdate();
        }
      }
      return inserted;
    }
  }

  private static String collated(String type, String expression) {
    return type.equals("text") || type.startsWith("character varying")
        ? expression + " COLLATE \"C\""
        : expression;
  }

  /**
   * True for types where {@code a = b} exactly when their text forms are equal (text under a
   * deterministic collation: it is compared with {@code COLLATE "C"}).
   */
  static boolean exactEquality(String type) {
    return switch (type) {
      case "smallint",
          "integer",
          "bigint",
          "boolean",
          "text",
          "character varying",
          "uuid",
          "date",
          "bytea" ->
          true;
      default ->
          type.startsWith("character varying(")
              || type.startsWith("numeric(")
              || (type.startsWith("timestamp")
                  && (type.endsWith(" with time zone") || type.endsWith(" without time zone")));
    };
  }

  /** Parents before children: inserts in this order, deletes in reverse. */
  private List<TableWork> foreignKeyOrder(Map<TableId, TableWork> work) throws SQLException {
    if (work.size() < 2) {
      return new ArrayList<>(work.values());
    }
    Map<TableWork, Set<TableWork>> parents = new LinkedHashMap<>();
    for (TableWork w : work.values()) {
      parents.put(w, new LinkedHashSet<>());
    }
    try (PreparedStatement ps =
            connection.prepareStatement(
                "SELECT quote_ident(cn.nspname) || '.' || quote_ident(c.relname),"
                    + " quote_ident(pn.nspname) || '.' || quote_ident(p.relname)"
                    + " FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                    + " JOIN pg_namespace cn ON cn.oid = c.relnamespace"
                    + " JOIN pg_class p ON p.oid = k.confrelid"
                    + " JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE k.contype = 'f'");
        ResultSet rs = ps.executeQuery()) {
      Map<String, TableWork> byIdent = new HashMap<>();
      for (TableWork w : work.values()) {
        byIdent.put(ident(w.table), w);
      }
      while (rs.next()) {
        TableWork child = byIdent.get(rs.getString(1));
        TableWork parent = byIdent.get(rs.getString(2));
        if (child != null && parent != null && child != parent) {
          parents.get(child).add(parent);
        }
      }
    }
    List<TableWork> out = new ArrayList<>();
    Set<TableWork> visiting = new HashSet<>();
    for (TableWork w : parents.keySet()) {
      visit(w, parents, out, visiting);
    }
    return out;
  }

  private String ident(TableId t) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT quote_ident(?) || '.' || quote_ident(?)")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.name());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static void visit(
      TableWork w,
      Map<TableWork, Set<TableWork>> parents,
      List<TableWork> out,
      Set<TableWork> visiting) {
    if (out.contains(w) || !visiting.add(w)) {
      return; // done, or a cycle: the deferred constraints (if deferrable) decide
    }
    for (TableWork p : parents.get(w)) {
      visit(p, parents, out, visiting);
    }
    out.add(w);
  }

  /**
   * A value in COPY's text format: NULL as {@code \N}; backslash, newline, return and tab escaped.
   */
  private static void appendCopyField(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("\\N");
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> sb.append(c);
      }
    }
  }

  private static ReplayException describe(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String detail = "";
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      var m = p.getServerErrorMessage();
      detail = m.getDetail() == null ? "" : " (" + m.getDetail() + ")";
      String kind =
          switch (state) {
            case "23503" -> "foreign key constraint ";
            case "23505" -> "unique constraint ";
            default -> null;
          };
      if (kind != null) {
        return new ReplayException(
            kind
                + m.getConstraint()
                + " on "
                + m.getSchema()
                + "."
                + m.getTable()
                + " blocks the plan"
                + detail
                + "; nothing was written",
            e);
      }
    }
    String first = e.getMessage() == null ? state : e.getMessage().split("\n")[0];
    return new ReplayException(
        "applying the plan failed: " + first + detail + "; nothing was written", e);
  }

  /** For callers that show a row's SQL: the statement that puts one row to its target state. */
  public static String sqlFor(RowChange c) {
    TableSchema schema = c.schema();
    Row keyImage = c.current() != null ? c.current() : c.target();
    StringBuilder where = new StringBuilder();
    for (String k : schema.keyColumns()) {
      int i = keyImage.schema().indexOf(k);
      where
          .append(where.length() == 0 ? "" : " AND ")
          .append(TableId.quote(k))
          .append(" = ")
          .append(PgText.literal(PgText.of(keyImage.get(i), keyImage.schema().column(i).schema())));
    }
    return switch (c.action()) {
      case DELETE -> "DELETE FROM " + c.table().quoted() + " WHERE " + where + ";";
      case UPDATE -> {
        StringBuilder set = new StringBuilder();
        Row t = c.target();
        for (String col : c.changedColumns()) {
          int i = t.schema().indexOf(col);
          if (i >= 0) {
            set.append(set.length() == 0 ? "" : ", ")
                .append(TableId.quote(col))
                .append(" = ")
                .append(PgText.literal(PgText.of(t.get(i), t.schema().column(i).schema())));
          }
        }
        yield "UPDATE " + c.table().quoted() + " SET " + set + " WHERE " + where + ";";
      }
      case INSERT -> {
        Row t = c.target();
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < t.size(); i++) {
          names.add(TableId.quote(t.schema().column(i).name()));
          values.add(PgText.literal(PgText.of(t.get(i), t.schema().column(i).schema())));
        }
        yield "INSERT INTO "
            + c.table().quoted()
            + " ("
            + String.join(", ", names)
            + ") VALUES ("
            + String.join(", ", values)
            + ");";
      }
    };
  }
}
