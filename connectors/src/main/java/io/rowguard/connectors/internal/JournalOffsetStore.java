package io.rowguard.connectors.internal;

import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debezium's source offsets, kept in the journal. {@link #set} runs on the engine thread inside
 * {@code markBatchFinished()}: it adds the offsets to the batch of entries being committed and
 * commits both in one RocksDB write, so the journal and the position it resumes from can never
 * disagree. Only after that write returns does the connector confirm the position to the source
 * (for PostgreSQL, the replication slot's flush LSN).
 *
 * <p>Offsets Debezium flushes outside a batch are dropped. The engine flushes once more when it
 * stops, with the offsets of every record the consumer marked processed; if the consumer was
 * stopped between marking a batch's records and writing that batch, those offsets point past
 * entries that were never written, and storing them would skip those transactions on the next
 * start. The offsets of every batch that was written are already stored with it.
 */
public final class JournalOffsetStore implements OffsetBackingStore {
  private static final Logger LOG = LoggerFactory.getLogger(JournalOffsetStore.class);
  private CaptureSession session;

  public JournalOffsetStore() {}

  JournalOffsetStore(CaptureSession session) {
    this.session = session;
  }

  @Override
  public void configure(WorkerConfig config) {
    Object id = config.originals().get(CaptureSession.ID_PROPERTY);
    session = CaptureSession.lookup(id == null ? null : id.toString());
  }

  @Override
  public void start() {}

  @Override
  public void stop() {}

  @Override
  public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
    Map<ByteBuffer, ByteBuffer> stored = session.journal().offsets();
    Map<ByteBuffer, ByteBuffer> result = new HashMap<>();
    for (ByteBuffer key : keys) {
      ByteBuffer value = stored.get(key);
      if (value != null) {
        result.put(key, value);
      }
    }
    return CompletableFuture.completedFuture(result);
  }

  @Override
  public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
    try {
      Journal.Batch batch = session.currentBatch();
      if (batch != null && !batch.isDone()) {
        batch.putOffsets(values);
        batch.putSchemaHistory(session.takeSchemaHistory());
        batch.commit();
      } else {
        LOG.debug("Not storing offsets flushed outside a batch: {}", values.size());
      }
      if (callback != null) {
        callback.onCompletion(null, null);
      }
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      if (callback != null) {
        callback.onCompletion(e, null);
      }
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public Set<Map<String, Object>> connectorPartitions(String connectorName) {
    return Set.of();
  }
}
