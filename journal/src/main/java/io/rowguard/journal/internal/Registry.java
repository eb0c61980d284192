package io.rowguard.journal.internal;

import io.rowguard.core.BinaryReader;
import io.rowguard.core.BinaryWriter;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The journal's table numbers and schema ids: which number a table's keys carry and how a change's
 * schema id decodes. Immutable and replaced whole, so a reader never sees a table without its
 * schemas, or a registry half cleared while the writer drops an incomplete tail.
 */
public final class Registry {
  static final byte SCHEMA_RECORD = 'S';
  static final byte TABLE_RECORD = 'T';

  static final Registry EMPTY = new Registry(Map.of(), Map.of(), Map.of());

  private final Map<TableId, Integer> tableNos;
  private final Map<Integer, TableSchema> schemasById;
  private final Map<TableSchema, Integer> schemaIds;

  private Registry(
      Map<TableId, Integer> tableNos,
      Map<Integer, TableSchema> schemasById,
      Map<TableSchema, Integer> schemaIds) {
    this.tableNos = Collections.unmodifiableMap(tableNos);
    this.schemasById = Collections.unmodifiableMap(schemasById);
    this.schemaIds = Collections.unmodifiableMap(schemaIds);
  }

  /** The key of a registration in the {@code schemas} family: its kind and id. */
  static byte[] key(byte kind, int id) {
    return new BinaryWriter(5).writeByte(kind).writeInt(id).toByteArray();
  }

  /** A table's name as a registration stores it (and a base version's meta key ends with it). */
  static byte[] tableRecord(TableId table) {
    return new BinaryWriter().writeString(table.schema()).writeString(table.name()).toByteArray();
  }

  /** A registry entry as the {@code schemas} family stores it: kind, id and encoded value. */
  interface Source {
    void forEach(EntryVisitor visitor);
  }

  @FunctionalInterface
  interface EntryVisitor {
    void visit(byte[] key, byte[] value);
  }

  /**
   * Reads a registry, keeping the schema objects {@code previous} already has for the same ids: a
   * capture identifies table versions by object, so a reload must not replace them.
   */
  static Registry load(Source source, Registry previous) {
    Map<TableId, Integer> tables = new HashMap<>();
    Map<Integer, TableSchema> byId = new HashMap<>();
    Map<TableSchema, Integer> ids = new HashMap<>();
    source.forEach(
        (k, v) -> {
          int id = new BinaryReader(k, 1, 4).readInt();
          if (k[0] == TABLE_RECORD) {
            BinaryReader r = new BinaryReader(v);
            tables.put(TableId.of(r.readString(), r.readString()), id);
          } else if (k[0] == SCHEMA_RECORD) {
            TableSchema s = SchemaCodec.decode(v);
            TableSchema known = previous.schemasById.get(id);
            if (s.equals(known)) {
              s = known;
            }
            byId.put(id, s);
            ids.put(s, id);
          }
        });
    return new Registry(tables, byId, ids);
  }

  /** This registry with a committed batch's new tables and schemas. */
  Registry with(Map<TableId, Integer> newTables, Map<TableSchema, Integer> newSchemas) {
    if (newTables.isEmpty() && newSchemas.isEmpty()) {
      return this;
    }
    Map<TableId, Integer> tables = new HashMap<>(tableNos);
    tables.putAll(newTables);
    Map<Integer, TableSchema> byId = new HashMap<>(schemasById);
    Map<TableSchema, Integer> ids = new HashMap<>(schemaIds);
    newSchemas.forEach(
        (schema, id) -> {
          byId.put(id, schema);
          ids.put(schema, id);
        });
    return new Registry(tables, byId, ids);
  }

  public Integer tableNo(TableId table) {
    return tableNos.get(table);
  }

  TableSchema schema(int id) {
    return schemasById.get(id);
  }

  Integer schemaId(TableSchema schema) {
    return schemaIds.get(schema);
  }

  public int tableCount() {
    return tableNos.size();
  }

  int schemaCount() {
    return schemaIds.size();
  }

  public Set<TableId> tables() {
    return new TreeSet<>(tableNos.keySet());
  }

  /** The table a number stands for. */
  Optional<TableId> table(int tableNo) {
    return tableNos.entrySet().stream()
        .filter(e -> e.getValue() == tableNo)
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /** The newest schema registered for a table. */
  public Optional<TableSchema> latestSchema(TableId table) {
    return schemaIds.entrySet().stream()
        .filter(e -> e.getKey().table().equals(table))
        .max(Map.Entry.comparingByValue())
        .map(Map.Entry::getKey);
  }
}
