package io.rowguard.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.core.Row;
import io.rowguard.core.RowKey;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.replay.internal.PgText;
import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.postgresql.PGConnection;
import org.postgresql.util.PSQLException;

/**
 * Applies a plan to PostgreSQL in one transaction, set-based: the plan's rows are copied into a
 * temporary table, the live rows are locked ({@code FOR UPDATE}) and compared with the state the
 * journal says is current, and then one DELETE, one UPDATE and one INSERT per table write the
 * target states, in foreign-key order. A rowguard logical message in the same transaction marks the
 * writes as this rollback, so the journal records them as such and they can be backed out.
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
      TableWork w = new TableWork(e.getKey(), e.getValue(), "rg_plan_" + n++);
      w.describeLiveTable(warnings);
      w.load(progress, loaded, total);
      loaded += w.rows.size();
      w.lockRows();
      conflicts.addAll(w.conflicts());
      work.put(e.getKey(), w);
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
    List<TableWork> ordered = foreignKeyOrder(work);
    for (int i = ordered.size() - 1; i >= 0; i--) {
      applied.merge(Action.DELETE, ordered.get(i).deleteRows(), Integer::sum);
    }
    for (TableWork w : ordered) {
      applied.merge(Action.UPDATE, w.updateRows(), Integer::sum);
      applied.merge(Action.INSERT, w.insertRows(), Integer::sum);
    }
    progress.update("applied", total, total);
    return new ApplyResult(plan.id(), txId, applied, conflicts, false, warnings);
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
    boolean identityAlways;

    TableWork(TableId table, List<RowChange> rows, String temp) {
      this.table = table;
      this.rows = rows;
      this.temp = temp;
      this.keyColumns = rows.get(0).schema().keyColumns();
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
      Map<String, Integer> lost = new TreeMap<>();
      for (RowChange c : rows) {
        for (Row image : new Row[] {c.current(), c.target()}) {
          if (image == null) {
            continue;
          }
          for (int i = 0; i < image.size(); i++) {
            String col = image.schema().column(i).name();
            if (!live.containsKey(col)) {
              if (image == c.target() && c.changedColumns().contains(col)) {
                lost.merge(col, 1, Integer::sum);
              }
            } else if (!columns.contains(col)) {
              columns.add(col);
              types.put(col, live.get(col));
              if (!generated.contains(col)) {
                writable.add(col);
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

    void load(Progress progress, long before, long total) throws SQLException {
      StringBuilder ddl =
          new StringBuilder("CREATE TEMP TABLE ")
              .append(temp)
              .append(
                  " (ord int, cur_present boolean, tgt_present boolean, cur_cols text,"
                      + " tgt_cols text");
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
      var copy = connection.unwrap(PGConnection.class).getCopyAPI();
      StringBuilder buf = new StringBuilder();
      for (int r = 0; r < rows.size(); r++) {
        RowChange c = rows.get(r);
        buf.append(r).append('\t').append(c.current() != null ? 't' : 'f').append('\t');
        buf.append(c.target() != null ? 't' : 'f').append('\t');
        buf.append(presence(c.current())).append('\t').append(presence(c.target()));
        Row keyImage = c.current() != null ? c.current() : c.target();
        for (String k : keyColumns) {
          int i = keyImage.schema().indexOf(k);
          buf.append('\t')
              .append(copyField(PgText.of(keyImage.get(i), keyImage.schema().column(i).schema())));
        }
        for (String col : columns) {
          buf.append('\t').append(copyField(text(c.current(), col)));
          buf.append('\t').append(copyField(text(c.target(), col)));
        }
        buf.append('\n');
        if ((r + 1) % COPY_CHUNK == 0 || r == rows.size() - 1) {
          try {
            copy.copyIn("COPY " + temp + " FROM STDIN", new StringReader(buf.toString()));
          } catch (IOException e) {
            throw new SQLException("copy into " + temp + " failed", e);
          }
          buf.setLength(0);
          progress.update("loading the plan", before + r + 1, total);
        }
      }
    }

    private String presence(Row image) {
      StringBuilder sb = new StringBuilder(columns.size());
      for (String col : columns) {
        sb.append(image != null && image.schema().indexOf(col) >= 0 ? '1' : '0');
      }
      return sb.toString();
    }

    private String text(Row image, String col) {
      if (image == null) {
        return null;
      }
      int i = image.schema().indexOf(col);
      return i < 0 ? null : PgText.of(image.get(i), image.schema().column(i).schema());
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
     * text form. A streamed timetz reaches the journal normalised to UTC, so timetz compares as
     * UTC.
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
      return "substr(p.cur_cols, "
          + (i + 1)
          + ", 1) = '1' AND ("
          + live
          + ")::text IS DISTINCT FROM ("
          + journaled
          + ")::text";
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

    int deleteRows() throws SQLException {
      try (Statement s = connection.createStatement()) {
        return s.executeUpdate(
            "DELETE FROM "
                + table.quoted()
                + " t USING "
                + temp
                + " p WHERE "
                + keyMatch()
                + " AND NOT p.tgt_present");
      }
    }

    int updateRows() throws SQLException {
      StringBuilder set = new StringBuilder();
      int i = 0;
      for (String col : columns) {
        if (writable.contains(col) && !keyColumns.contains(col)) {
          set.append(set.length() == 0 ? "" : ", ")
              .append(TableId.quote(col))
              .append(" = CASE WHEN substr(p.tgt_cols, ")
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
                + " AND p.tgt_present");
      }
    }

    int insertRows() throws SQLException {
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

  private static String copyField(String v) {
    if (v == null) {
      return "\\N";
    }
    StringBuilder sb = new StringBuilder(v.length() + 8);
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
    return sb.toString();
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
