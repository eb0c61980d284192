package io.rowguard.connectors.internal.postgres;

import static io.rowguard.core.SqlDialect.POSTGRES;

import io.rowguard.core.InputException;
import io.rowguard.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The publication a journal streams through: the set of tables PostgreSQL decodes changes of.
 *
 * <p>Each journal owns its publication. rowguard creates it (Debezium never creates or alters it),
 * marks it with a comment naming the journal, and alters only a publication so marked: a second
 * journal on the same database can no longer narrow the first one's table set and silently cut its
 * changes off. A publication without the mark was made by someone else; rowguard checks that it
 * covers what the journal captures and never changes it.
 *
 * <p>A publication rowguard creates publishes inserts, updates, deletes and truncates, and
 * publishes a partitioned table's changes under the table's own name ({@code
 * publish_via_partition_root}, PostgreSQL 13 and later): without it they would arrive under the
 * partitions' names and be dropped as not captured.
 */
public final class Publication {
  private static final Pattern MARK = Pattern.compile("^rowguard journal ([0-9a-f]{32})\\b");

  private Publication() {}

  /** How the config lets rowguard treat the publication ({@code publication.autocreate.mode}). */
  public enum Mode {
    /** Create it for the captured tables and keep it matching them (the default). */
    FILTERED,
    /** Create it for all tables (needs a superuser). */
    ALL_TABLES,
    /** Never create or change it: it must exist and cover the captured tables. */
    DISABLED;

    public static Mode parse(String value) {
      if (value == null || value.isBlank()) {
        return FILTERED;
      }
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "filtered" -> FILTERED;
        case "all_tables" -> ALL_TABLES;
        case "disabled" -> DISABLED;
        default ->
            throw new InputException(
                "source.publication.autocreate.mode="
                    + value
                    + " is not one of filtered, all_tables, disabled");
      };
    }
  }

  /** What the catalog says of a publication. */
  public record State(
      String name,
      boolean exists,
      boolean ownedByUser,
      String comment,
      boolean allTables,
      Set<TableId> tables,
      boolean publishesAll,
      boolean viaRoot) {

    /** The journal the publication's comment marks it as belonging to, if rowguard made it. */
    public Optional<String> journal() {
      if (comment == null) {
        return Optional.empty();
      }
      Matcher m = MARK.matcher(comment);
      return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
  }

  /** The comment that marks a publication as journal {@code journalId}'s. */
  public static String mark(String journalId, String slot) {
    return "rowguard journal "
        + journalId
        + " (slot "
        + slot
        + "): created by rowguard capture, dropped by rowguard teardown";
  }

  public static State read(Connection c, String name) throws SQLException {
    boolean viaRootColumn;
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'pg_publication'::regclass"
                    + " AND attname = 'pubviaroot'")) {
      rs.next();
      viaRootColumn = rs.getInt(1) > 0;
    }
    String sql =
        "SELECT p.oid, pg_has_role(p.pubowner, 'USAGE'), obj_description(p.oid, 'pg_publication'),"
            + " p.puballtables, p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate, "
            + (viaRootColumn ? "p.pubviaroot" : "false")
            + " FROM pg_publication p WHERE p.pubname = ?";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new State(name, false, false, null, false, Set.of(), false, false);
        }
        long oid = rs.getLong(1);
        boolean owned = rs.getBoolean(2);
        String comment = rs.getString(3);
        boolean all = rs.getBoolean(4);
        boolean publishesAll = rs.getBoolean(5);
        boolean viaRoot = rs.getBoolean(6);
        return new State(name, true, owned, comment, all, tables(c, oid), publishesAll, viaRoot);
      }
    }
  }

  private static Set<TableId> tables(Connection c, long publicationOid) throws SQLException {
    Set<TableId> out = new LinkedHashSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT n.nspname, c.relname FROM pg_publication_rel r JOIN pg_class c ON c.oid ="
                + " r.prrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE r.prpubid = ?")) {
      ps.setLong(1, publicationOid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(TableId.of(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }

  /**
   * What to run before capture starts (in one transaction), or the problems that refuse it.
   *
   * @param ours whether this journal owns the publication (made it, or adopts it now)
   */
  public record Plan(String name, List<String> statements, List<String> problems, boolean ours) {}

  /**
   * Plans the publication for {@code captured}.
   *
   * @param journalId the journal the publication must belong to; null for a journal not created yet
   * @param adoptUnmarked a journal written before publications were marked adopts the unmarked
   *     publication its user owns, which an earlier rowguard created for it
   * @param canCreate the user may create a publication for these tables (CREATE on the database,
   *     and owns every table), or is a superuser
   * @param superuser the user may create a publication for all tables
   */
  public static Plan plan(
      State state,
      List<PostgresPreflight.CapturedTable> captured,
      String journalId,
      String slot,
      Mode mode,
      boolean adoptUnmarked,
      boolean canCreate,
      boolean superuser,
      String user,
      int versionNum) {
    String name = state.name();
    String quoted = POSTGRES.quote(name);
    List<String> statements = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<TableId> wanted = new LinkedHashSet<>();
    captured.forEach(t -> wanted.add(t.table()));
    String tableList = String.join(", ", wanted.stream().map(POSTGRES::quote).toList());
    String options =
        "publish = 'insert, update, delete, truncate'"
            + (versionNum >= 130000 ? ", publish_via_partition_root = true" : "");
    String mark = "COMMENT ON PUBLICATION " + quoted + " IS " + literal(mark(journalId, slot));
    if (!state.exists()) {
      String create =
          "CREATE PUBLICATION "
              + quoted
              + (mode == Mode.ALL_TABLES ? " FOR ALL TABLES" : " FOR TABLE " + tableList)
              + " WITH ("
              + options
              + ")";
      if (mode == Mode.DISABLED) {
        problems.add(
            "publication "
                + name
                + " does not exist and source.publication.autocreate.mode=disabled; as the"
                + " tables' owner run: "
                + create
                + ";");
      } else if (mode == Mode.ALL_TABLES ? superuser : canCreate) {
        statements.add(create);
        statements.add(mark);
      } else {
        problems.add(
            "publication "
                + name
                + " does not exist and user "
                + user
                + " cannot create it (that needs "
                + (mode == Mode.ALL_TABLES
                    ? "a superuser"
                    : "CREATE on the database and ownership of the captured tables")
                + "); as the tables' owner run: "
                + create
                + ";");
      }
      return new Plan(name, statements, problems, true);
    }
    Optional<String> owner = state.journal();
    if (owner.isPresent() && !owner.get().equals(journalId)) {
      problems.add(
          "publication "
              + name
              + " belongs to another rowguard journal ("
              + state.comment()
              + "); each journal needs its own publication, or one journal's table list would"
              + " narrow the other's: give this one its own source.publication.name (without the"
              + " key, the publication is named after the slot)");
      return new Plan(name, statements, problems, false);
    }
    boolean ours =
        mode != Mode.DISABLED
            && (owner.isPresent() || (adoptUnmarked && state.ownedByUser() && !state.allTables()));
    Set<TableId> missing = new LinkedHashSet<>(wanted);
    if (!state.allTables()) {
      missing.removeAll(state.tables());
    }
    boolean partitioned = captured.stream().anyMatch(PostgresPreflight.CapturedTable::partitioned);
    boolean optionsWrong = !state.publishesAll() || (versionNum >= 130000 && !state.viaRoot());
    if (ours) {
      if (!state.allTables() && !state.tables().equals(wanted)) {
        boolean ownsNew =
            captured.stream()
                .filter(t -> missing.contains(t.table()))
                .allMatch(PostgresPreflight.CapturedTable::owned);
        String set = "ALTER PUBLICATION " + quoted + " SET TABLE " + tableList;
        if (ownsNew || superuser) {
          statements.add(set);
        } else {
          problems.add(
              "publication "
                  + name
                  + " lacks "
                  + names(missing)
                  + " and user "
                  + user
                  + " may not add them (it does not own them); as their owner run: "
                  + set
                  + ";");
        }
      }
      if (optionsWrong) {
        statements.add("ALTER PUBLICATION " + quoted + " SET (" + options + ")");
      }
      if (owner.isEmpty()) {
        statements.add(mark);
      }
      return new Plan(name, statements, problems, true);
    }
    List<String> fixes = new ArrayList<>();
    if (!missing.isEmpty()) {
      fixes.add(
          "ALTER PUBLICATION "
              + quoted
              + " ADD TABLE "
              + String.join(", ", missing.stream().map(POSTGRES::quote).toList())
              + ";");
    }
    if (!state.publishesAll() || (partitioned && !state.viaRoot())) {
      fixes.add("ALTER PUBLICATION " + quoted + " SET (" + options + ");");
    }
    if (!fixes.isEmpty()) {
      List<String> why = new ArrayList<>();
      if (!missing.isEmpty()) {
        why.add("lacks " + names(missing));
      }
      if (!state.publishesAll()) {
        why.add("does not publish every kind of change (a TRUNCATE would be lost)");
      }
      if (partitioned && !state.viaRoot()) {
        why.add(
            "does not publish partitioned tables under their own name"
                + " (publish_via_partition_root), so their changes would be dropped");
      }
      problems.add(
          "publication "
              + name
              + " "
              + String.join(", ", why)
              + "; it was not created by this journal, so rowguard does not change it: as its"
              + " owner run "
              + String.join(" ", fixes)
              + " (or remove source.publication.name to let rowguard create one of its own)");
    }
    return new Plan(name, statements, problems, false);
  }

  /** Runs a plan's statements in one transaction. */
  public static void apply(Connection c, Plan plan) throws SQLException {
    if (plan.statements().isEmpty()) {
      return;
    }
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      for (String sql : plan.statements()) {
        s.execute(sql);
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }

  private static String names(Set<TableId> tables) {
    return (tables.size() == 1 ? "table " : "tables ")
        + String.join(", ", tables.stream().map(TableId::toString).toList());
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }
}
