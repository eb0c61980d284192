package io.rowguard.connectors.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rowguard.journal.Journal;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Journals each Debezium batch in one atomic write together with the offsets it has finished.
 *
 * <p>Offsets are only ever advanced to a transaction boundary (an END marker, the last snapshot
 * record, or a heartbeat outside any transaction). Debezium 3.5 can skip events on resume when it
 * resumes from the middle of a transaction whose events share one LSN (COPY, multi-row INSERT;
 * dbz#1554): resuming only from boundaries avoids that, and the journal drops the partial
 * transaction it may hold after a crash because the source sends it again whole.
 */
public final class JournalingConsumer
    implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
  private static final Logger LOG = LoggerFactory.getLogger(JournalingConsumer.class);

  private final CaptureSession session;
  private final RecordTranslator translator;
  private final AtomicLong journaled = new AtomicLong();
  private volatile boolean snapshotDone;
  private boolean inTransaction;
  private boolean inSnapshot;
  private int orderInTx;

  public JournalingConsumer(CaptureSession session, RecordTranslator translator) {
    this.session = session;
    this.translator = translator;
  }

  @Override
  public void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    Journal journal = session.journal();
    try (Journal.Batch batch = journal.newBatch()) {
      session.currentBatch(batch);
      int boundary = -1;
      for (int i = 0; i < records.size(); i++) {
        SourceRecord record = records.get(i).record();
        switch (RecordTranslator.kind(record)) {
          case BEGIN -> {
            inTransaction = true;
            inSnapshot = false;
            orderInTx = 0;
          }
          case CHANGE -> {
            batch.append(translator.toChangeEvent(record, orderInTx++));
            if (!inTransaction) {
              batch.markCommitted();
              boundary = i;
            }
          }
          case SNAPSHOT_READ -> {
            batch.append(translator.toChangeEvent(record, orderInTx++));
            inSnapshot = true;
            if (RecordTranslator.isLastSnapshotRecord(record)) {
              inSnapshot = false;
              batch.markCommitted();
              boundary = i;
              orderInTx = 0;
              snapshotDone = true;
            }
          }
          case END -> {
            inTransaction = false;
            orderInTx = 0;
            batch.markCommitted();
            boundary = i;
          }
          case TRUNCATE -> {
            LOG.warn(
                "TRUNCATE of {} is not journaled: rows it removed cannot be rolled back",
                record.topic());
          }
          case MESSAGE -> {
            RecordTranslator.rowguardMessage(record)
                .ifPresent(json -> batch.putTransactionInfo(RecordTranslator.txId(record), json));
            if (!inTransaction && !inSnapshot) {
              batch.markCommitted();
              boundary = i;
            }
          }
          case OTHER -> {
            // a heartbeat between transactions is a safe place to resume; one during the
            // snapshot or inside a transaction is not
            if (!inTransaction && !inSnapshot) {
              batch.markCommitted();
              boundary = i;
            }
          }
        }
      }
      for (int i = 0; i <= boundary; i++) {
        committer.markProcessed(records.get(i));
      }
      int appended = batch.entries();
      committer.markBatchFinished();
      if (!batch.isDone()) {
        batch.commit();
      }
      journaled.addAndGet(appended);
    } finally {
      session.currentBatch(null);
    }
  }

  /** Entries journaled by this consumer since it started. */
  public long journaled() {
    return journaled.get();
  }

  public boolean snapshotDone() {
    return snapshotDone;
  }
}
