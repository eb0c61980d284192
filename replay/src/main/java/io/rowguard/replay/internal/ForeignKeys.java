package io.rowguard.replay.internal;

import io.rowguard.core.TableId;
import io.rowguard.core.ValueSchema;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * A database's foreign keys and the rows their actions reach, as {@code Cascades} asks for them:
 * the catalog read and the live-table query are the database's own.
 */
public interface ForeignKeys {
  /**
   * A foreign key of {@code child} referring to {@code parent}, and its actions: {@code c} cascade,
   * {@code n} set null, {@code d} set default, {@code a} or {@code r} none.
   */
  record ForeignKey(
      String name,
      TableId parent,
      TableId child,
      List<String> childColumns,
      List<String> parentColumns,
      List<String> childKey,
      char onDelete,
      char onUpdate) {}

  /** What a foreign key's action reaches: how many rows, and the first few rows' keys. */
  record Reached(long count, List<String> keys) {}

  /**
   * The foreign keys referring to {@code parent} whose delete or update action changes other rows
   * (cascade, set null, set default), of child tables with a primary key.
   */
  List<ForeignKey> referencing(TableId parent) throws SQLException;

  /** A key value of a journal image, in the form {@link #reached} compares. */
  String value(Object value, ValueSchema schema);

  /**
   * The rows of {@code fk}'s child whose foreign key columns hold one of {@code referred} (tuples
   * of {@link #value}s) and whose key is none of {@code planned}: counted, and the first {@code
   * shown} keys given as text.
   */
  Reached reached(ForeignKey fk, Set<List<String>> referred, Set<List<String>> planned, int shown)
      throws SQLException;
}
