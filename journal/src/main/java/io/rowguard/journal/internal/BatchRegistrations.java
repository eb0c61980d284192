package io.rowguard.journal.internal;

import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.journal.JournalException;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rocksdb.RocksDBException;

/**
 * The tables and schemas a batch registers: numbered after those of the registry, staged with the
 * batch as log records and {@code schemas} entries, and published with the registry when the batch
 * commits.
 */
final class BatchRegistrations {
  private final BatchWrite batch;
  private final JournalView view;
  private final Path dir;
  // table number and schema id per schema object: capture reuses one object per table version
  private final Map<TableSchema, int[]> ids = new IdentityHashMap<>();
  private final Map<TableId, Integer> newTables = new LinkedHashMap<>();
  private final Map<TableSchema, Integer> newSchemas = new LinkedHashMap<>();

  BatchRegistrations(BatchWrite batch, JournalView view, Path dir) {
    this.batch = batch;
    this.view = view;
    this.dir = dir;
  }

  /** The table number and schema id of a schema, registering either when new. */
  int[] ids(TableSchema schema) {
    int[] known = ids.get(schema);
    if (known == null) {
      known = new int[] {tableNo(schema.table()), schemaId(schema)};
      ids.put(schema, known);
    }
    return known;
  }

  Integer tableNoIfKnown(TableId table) {
    Integer no = view.registry().tableNo(table);
    return no != null ? no : newTables.get(table);
  }

  private int tableNo(TableId table) {
    Integer no = view.registry().tableNo(table);
    if (no == null) {
      no = newTables.get(table);
    }
    if (no == null) {
      no = view.registry().tableCount() + newTables.size() + 1;
      newTables.put(table, no);
      byte[] key = Registry.key(Registry.TABLE_RECORD, no);
      byte[] value = Registry.tableRecord(table);
      try {
        batch.register(LogRecords.table(key, value), key, value);
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage table " + table, e);
      }
    }
    return no;
  }

  private int schemaId(TableSchema schema) {
    Integer id = view.registry().schemaId(schema);
    if (id == null) {
      id = newSchemas.get(schema);
    }
    if (id == null) {
      id = view.registry().schemaCount() + newSchemas.size() + 1;
      newSchemas.put(schema, id);
      byte[] key = Registry.key(Registry.SCHEMA_RECORD, id);
      byte[] value = SchemaCodec.encode(schema);
      try {
        batch.register(LogRecords.schema(key, value), key, value);
      } catch (RocksDBException e) {
        throw new JournalException(dir, "stage schema of " + schema.table(), e);
      }
    }
    return id;
  }

  /** A schema by id, including those this batch registers. */
  TableSchema schemaInBatch(int id) {
    for (Map.Entry<TableSchema, Integer> e : newSchemas.entrySet()) {
      if (e.getValue() == id) {
        return e.getKey();
      }
    }
    return view.schemaById(id);
  }

  /** Publishes the registry with this batch's registrations: the batch committed. */
  void publish() {
    view.publish(view.registry().with(newTables, newSchemas));
  }
}
