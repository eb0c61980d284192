package io.rowguard.connectors.internal;

import io.debezium.config.Configuration;
import io.debezium.document.DocumentReader;
import io.debezium.document.DocumentWriter;
import io.debezium.relational.history.AbstractSchemaHistory;
import io.debezium.relational.history.HistoryRecord;
import io.debezium.relational.history.HistoryRecordComparator;
import io.debezium.relational.history.SchemaHistoryException;
import io.debezium.relational.history.SchemaHistoryListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * Debezium's schema history for binlog sources, kept in the journal: the table definitions each
 * binlog event is decoded with. A record is stored in the same write as the next offsets ({@link
 * CaptureSession#addSchemaHistory}), so a restart never resumes past a DDL whose record is not
 * stored. A record can be stored twice (a crash after the write but before the offsets passed its
 * DDL): its table definitions replace the table's, so applying it again changes nothing.
 */
public final class JournalSchemaHistory extends AbstractSchemaHistory {
  /** The history's configuration key that carries the capture session id. */
  public static final String SESSION_PROPERTY =
      CONFIGURATION_FIELD_PREFIX_STRING + CaptureSession.ID_PROPERTY;

  private static final DocumentWriter WRITER = DocumentWriter.defaultWriter();
  private static final DocumentReader READER = DocumentReader.defaultReader();

  private CaptureSession session;

  @Override
  public void configure(
      Configuration config,
      HistoryRecordComparator comparator,
      SchemaHistoryListener listener,
      boolean useCatalogBeforeSchema) {
    super.configure(config, comparator, listener, useCatalogBeforeSchema);
    String id = config.getString(CaptureSession.ID_PROPERTY);
    if (id == null) {
      id = config.getString(SESSION_PROPERTY);
    }
    session = CaptureSession.lookup(id);
  }

  @Override
  protected void storeRecord(HistoryRecord record) throws SchemaHistoryException {
    try {
      session.addSchemaHistory(WRITER.write(record.document()).getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new SchemaHistoryException("could not encode a schema history record", e);
    }
  }

  @Override
  protected void recoverRecords(Consumer<HistoryRecord> records) {
    for (byte[] stored : session.journal().schemaHistory()) {
      try {
        records.accept(new HistoryRecord(READER.read(new String(stored, StandardCharsets.UTF_8))));
      } catch (IOException e) {
        throw new SchemaHistoryException("a schema history record in the journal is unreadable", e);
      }
    }
  }

  @Override
  public boolean exists() {
    return !session.journal().schemaHistory().isEmpty() || session.schemaHistoryPending();
  }

  @Override
  public boolean storageExists() {
    return true;
  }

  @Override
  public String toString() {
    return "rowguard journal schema history";
  }
}
