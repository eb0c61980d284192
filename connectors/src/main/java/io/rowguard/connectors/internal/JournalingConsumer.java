package io.rowguard.connectors.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rowguard.core.TransactionListener;
import io.rowguard.core.TransactionSummary;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.TransactionTags;
import java.util.ArrayList;
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
 *
 * <p>Each source transaction is also summed up as it arrives and handed to the {@link
 * TransactionListener} once it is journaled.
 */
public final class JournalingConsumer
    implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
  private static final Logger LOG = LoggerFactory.getLogger(JournalingConsumer.class);

  private final CaptureSession session;
  private final RecordTranslator translator;
  private final TransactionListener listener;
  private final AtomicLong journaled = new AtomicLong();
  private volatile boolean snapshotDone;
  private boolean inTransaction;
  private boolean inSnapshot;
  private int orderInTx;
  private TransactionSummary.Builder summary;

  public JournalingConsumer(
      CaptureSession session, RecordTranslator translator, TransactionListener listener) {
    this.session = session;
    this.translator = translator;
    this.listener = listener;
  }

  @Override
  public void handleBatch(
      List<RecordChangeEvent<SourceRecord>> records,
      DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
      throws InterruptedException {
    Journal journal = session.journal();
    if (sourceRestarted(records)) {
      // The connector lost its connection (a server restart, a killed walsender) and resumed from
      // the last stored offsets, a transaction boundary: what the journal holds of the
      // transaction it was in comes again, whole.
      LOG.info("The source reconnected mid-transaction; it sends that transaction again");
      journal.discardIncomplete();
      inTransaction = false;
      inSnapshot = false;
      orderInTx = 0;
      summary = null;
    }
    List<TransactionSummary> completed = new ArrayList<>();
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
            summary = new TransactionSummary.Builder(RecordTranslator.txId(record));
          }
          case CHANGE -> {
            JournalEntry e = batch.append(translator.toChangeEvent(record, orderInTx++));
            if (summary != null && summary.txId().equals(e.event().txId())) {
              summary.add(e.seq(), e.event());
            }
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
            if (summary != null && !summary.isEmpty()) {
              completed.add(summary.build());
            }
            summary = null;
          }
          case TRUNCATE -> {
            LOG.warn(
                "TRUNCATE of {} is not journaled: rows it removed cannot be rolled back",
                record.topic());
          }
          case MESSAGE -> {
            String txId = RecordTranslator.txId(record);
            RecordTranslator.rowguardMessage(record)
                .ifPresent(
                    json -> {
                      if (txId.isEmpty()) {
                        LOG.warn(
                            "Ignoring a rowguard message outside any transaction: emit it with"
                                + " pg_logical_emit_message(true, ...) inside the transaction");
                        return;
                      }
                      var tag = TransactionTags.parse(json);
                      batch.tag(txId, tag);
                      if (summary != null && summary.txId().equals(txId)) {
                        summary.tag(tag);
                      }
                    });
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
      int appended = batch.changes();
      committer.markBatchFinished();
      if (!batch.isDone()) {
        batch.commit();
      }
      journaled.addAndGet(appended);
    } finally {
      session.currentBatch(null);
    }
    for (TransactionSummary t : completed) {
      try {
        listener.journaled(t);
      } catch (RuntimeException e) {
        LOG.warn("A transaction listener failed on transaction {}", t.txId(), e);
      }
    }
  }

  /**
   * True when the source started over from the stored offsets in the middle of a transaction (or of
   * the snapshot): a transaction begins while the last one never ended, or a snapshot's first
   * record arrives while one is under way. PostgreSQL never interleaves transactions, so nothing
   * else looks like that.
   */
  private boolean sourceRestarted(List<RecordChangeEvent<SourceRecord>> records) {
    for (RecordChangeEvent<SourceRecord> r : records) {
      SourceRecord record = r.record();
      switch (RecordTranslator.kind(record)) {
        case BEGIN -> {
          return inTransaction;
        }
        case SNAPSHOT_READ -> {
          return inSnapshot && RecordTranslator.isFirstSnapshotRecord(record);
        }
        case OTHER -> {}
        default -> {
          return false;
        }
      }
    }
    return false;
  }

  /** Changes journaled by this consumer since it started. */
  public long journaled() {
    return journaled.get();
  }

  public boolean snapshotDone() {
    return snapshotDone;
  }
}
