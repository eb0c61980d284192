package io.rowguard.connectors.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.rowguard.core.ChangeEvent;
import io.rowguard.core.TableId;
import io.rowguard.core.TransactionListener;
import io.rowguard.core.TransactionSummary;
import io.rowguard.journal.Gap;
import io.rowguard.journal.Journal;
import io.rowguard.journal.JournalEntry;
import io.rowguard.journal.TransactionTags;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
  // what is arriving and not committed yet: a snapshot's rows, or a transaction's changes
  private volatile long receiving;
  private volatile boolean snapshotting;
  private volatile boolean snapshotDone;

  /** Capture is behind when what it journals committed this long ago, or longer. */
  private static final long BEHIND_MICROS = 1_000_000L;

  /** How long capture counts as behind after it last journaled something that old. */
  private static final long BEHIND_NANOS = 250_000_000L;

  private long serverAhead = Long.MIN_VALUE;
  private volatile long lastBehind;
  private boolean inTransaction;
  private boolean inSnapshot;
  private int orderInTx;
  private int snapshotOrder;
  private TransactionSummary.Builder summary;
  private final TransactionCount count = new TransactionCount();
  private BeforeImages beforeImages;
  private long txCommitMicros;
  private String txPosition = "";
  // the transaction a statement comment has tagged already
  private String commentTagged = "";
  private final Snapshots snapshots;

  /**
   * For tests: the records it matches are lost on the way in, as Debezium's restart bugs lose them
   * (dbz#1554), so that a test can show the loss is caught.
   */
  static volatile java.util.function.Predicate<SourceRecord> lostForTest = r -> false;

  public JournalingConsumer(
      CaptureSession session, RecordTranslator translator, TransactionListener listener) {
    this(session, translator, listener, List.of(), Set.of());
  }

  /**
   * @param snapshotTables the tables the initial snapshot reads, when this start takes one (no
   *     stored offsets); empty otherwise
   * @param based the tables whose rows have base versions in the journal already
   */
  public JournalingConsumer(
      CaptureSession session,
      RecordTranslator translator,
      TransactionListener listener,
      List<TableId> snapshotTables,
      Set<TableId> based) {
    this.session = session;
    this.translator = translator;
    this.listener = listener;
    this.snapshots = new Snapshots(snapshotTables, based);
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
      snapshotOrder = 0;
      commentTagged = "";
      snapshots.restarted();
    }
    List<TransactionSummary> completed = new ArrayList<>();
    try (Journal.Batch batch = journal.newBatch()) {
      session.currentBatch(batch);
      int boundary = -1;
      for (int i = 0; i < records.size(); i++) {
        SourceRecord record = records.get(i).record();
        if (lostForTest.test(record)) {
          continue;
        }
        RecordTranslator.Kind kind = RecordTranslator.kind(record);
        if ((kind == RecordTranslator.Kind.CHANGE || kind == RecordTranslator.Kind.SNAPSHOT_READ)
            && RecordTranslator.isTagRow(record)) {
          tagRow(batch, record, kind);
          continue;
        }
        if (kind != RecordTranslator.Kind.SNAPSHOT_READ && snapshots.initialPending()) {
          // the initial snapshot read no row at all (every table was empty)
          snapshots.initialEnded(batch, translator.snapshotPointMicros(), "", "snapshot");
          batch.markCommitted();
          boundary = i - 1;
        }
        switch (kind) {
          case BEGIN -> {
            inTransaction = true;
            inSnapshot = false;
            orderInTx = 0;
            count.begin();
            summary = new TransactionSummary.Builder(RecordTranslator.txId(record));
          }
          case CHANGE -> {
            JournalEntry e =
                batch.append(
                    beforeImages().complete(batch, translator.toChangeEvent(record, orderInTx++)));
            count.event(e.event().table());
            txCommitMicros = e.event().commitMicros();
            txPosition = e.event().position();
            if (summary != null && summary.txId().equals(e.event().txId())) {
              summary.add(e.seq(), e.event());
            }
            statementTag(batch, record, e.event().txId());
            if (!inTransaction) {
              batch.markCommitted();
              boundary = i;
            }
          }
          case SNAPSHOT_READ -> {
            boolean initial = snapshots.initialPending();
            // a backfill may pause streaming inside a transaction: its rows count on their own
            ChangeEvent read = snapshots.read(batch, translator, record, snapshotOrder++).event();
            inSnapshot = true;
            if (RecordTranslator.isLastSnapshotRecord(record)) {
              inSnapshot = false;
              snapshotOrder = 0;
              if (initial) {
                snapshots.initialEnded(batch, read.commitMicros(), read.txId(), read.position());
                batch.markCommitted();
                boundary = i;
                snapshotDone = true;
              }
              // a backfill's rows are committed with the next transaction: its end is a message
            }
          }
          case END -> {
            checkCount(batch, record);
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
            RecordTranslator.Truncation t = translator.truncation(record);
            count.event(t.table());
            txCommitMicros = t.commitMicros();
            txPosition = t.position();
            List<JournalEntry> removed =
                batch.truncate(t.table(), t.commitMicros(), t.txId(), t.position(), orderInTx);
            orderInTx += removed.size();
            if (summary != null && summary.txId().equals(t.txId())) {
              removed.forEach(e -> summary.add(e.seq(), e.event()));
            }
            LOG.info(
                "TRUNCATE of {} in transaction {}: journaled the {} row(s) it removed",
                t.table(),
                t.txId(),
                removed.size());
            if (!inTransaction) {
              batch.markCommitted();
              boundary = i;
            }
          }
          case MESSAGE -> {
            count.other();
            snapshots.backfillMessage(batch, translator, record);
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
          case SCHEMA_CHANGE -> {
            // a DDL statement commits on its own (and commits what was open): a binlog source
            // opens a transaction for it with BEGIN and sends no END
            if (inTransaction && orderInTx == 0) {
              inTransaction = false;
              summary = null;
            }
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
      if (boundary >= 0) {
        // the offsets stored are the last processed record's: marking the boundary alone stores
        // the same ones, without Debezium's per-record offset bookkeeping
        committer.markProcessed(records.get(boundary));
      }
      int appended = batch.changes();
      if (appended > 0) {
        noteAge(txCommitMicros);
      }
      committer.markBatchFinished();
      if (!batch.isDone()) {
        batch.commit();
      }
      journaled.addAndGet(appended);
      snapshotting = inSnapshot;
      receiving = inTransaction || inSnapshot ? receiving + appended : 0;
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
   * A row of {@code rowguard_tag}: the tag of its transaction, never a data change. An insert tags
   * the transaction with the row's {@code tag}; its delete (the helper empties the table in the
   * same transaction) and snapshot rows say nothing. Each is still an event the transaction's END
   * counts.
   */
  private void tagRow(Journal.Batch batch, SourceRecord record, RecordTranslator.Kind kind) {
    if (kind == RecordTranslator.Kind.SNAPSHOT_READ) {
      return;
    }
    count.event(RecordTranslator.tagTable(record));
    String txId = RecordTranslator.txId(record);
    RecordTranslator.tagRowContent(record)
        .filter(json -> !txId.isEmpty())
        .ifPresent(
            json -> {
              var tag = TransactionTags.parse(json);
              batch.tag(txId, tag);
              if (summary != null && summary.txId().equals(txId)) {
                summary.tag(tag);
              }
            });
  }

  /**
   * Tags the transaction from the rowguard comment of the statement that made this change: the
   * first statement of the transaction that carries one.
   */
  private void statementTag(Journal.Batch batch, SourceRecord record, String txId) {
    if (txId.isEmpty() || txId.equals(commentTagged)) {
      return;
    }
    translator
        .statementTag(record)
        .ifPresent(
            json -> {
              var tag = TransactionTags.parse(json);
              batch.tag(txId, tag);
              if (summary != null && summary.txId().equals(txId)) {
                summary.tag(tag);
              }
              commentTagged = txId;
            });
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
          // a transaction left open with nothing received of it (a binlog source's BEGIN for a
          // statement that sent no change) has nothing to send again
          return inTransaction && count.any();
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

  private BeforeImages beforeImages() {
    if (beforeImages == null) {
      beforeImages = new BeforeImages(session.journal().openGaps());
    }
    return beforeImages;
  }

  /**
   * Checks a transaction's END against what arrived of it. A table short of changes is a loud error
   * and an open gap of that table: its rows may differ from the database's from this transaction
   * on.
   */
  private void checkCount(Journal.Batch batch, SourceRecord end) {
    String txId = RecordTranslator.txId(end);
    for (TransactionCount.Shortfall s : count.check(end)) {
      if (s.table() == null) {
        LOG.error(
            "Transaction {} arrived with {} of its {} logical messages: a rowguard message may be"
                + " missing, so its changes may show no actor",
            txId,
            s.received(),
            s.expected());
        continue;
      }
      String reason =
          "transaction "
              + txId
              + " arrived with "
              + s.received()
              + " of the "
              + s.expected()
              + " changes of "
              + s.table()
              + " its END marker counts: the journal may lack changes of this table from then on"
              + " (rows may differ from the database's until it is snapshotted again)";
      LOG.error("{}; recorded as a gap", reason);
      batch.recordGap(Gap.openForTable(s.table(), txCommitMicros, txPosition, reason, true));
    }
  }

  /**
   * Changes received of the snapshot or transaction under way, not committed yet (they become
   * visible all at once); 0 between transactions.
   */
  public long receiving() {
    return receiving;
  }

  /**
   * How far the source's clock is ahead of this machine's, in microseconds, so that {@link
   * #behind()} can tell how long ago what is journaled committed.
   */
  public void serverAhead(long micros) {
    this.serverAhead = micros;
  }

  /**
   * True while capture is behind its source: in the last quarter second it journaled a transaction
   * that committed a second or more before.
   */
  public boolean behind() {
    long t = lastBehind;
    return t != 0 && System.nanoTime() - t < BEHIND_NANOS;
  }

  private void noteAge(long commitMicros) {
    if (serverAhead == Long.MIN_VALUE || commitMicros <= 0) {
      return;
    }
    long age = System.currentTimeMillis() * 1000 + serverAhead - commitMicros;
    if (age >= BEHIND_MICROS) {
      lastBehind = System.nanoTime() | 1;
    }
  }

  /** True while the snapshot is being read. */
  public boolean snapshotting() {
    return snapshotting;
  }

  /** Changes journaled by this consumer since it started. */
  public long journaled() {
    return journaled.get();
  }

  public boolean snapshotDone() {
    return snapshotDone;
  }

  /** True while the initial snapshot is expected or under way. */
  public boolean initialSnapshotPending() {
    return snapshots.initialPending();
  }

  /** True once the message that begins backfill {@code id} has come through. */
  public boolean backfillHeard(String id) {
    return snapshots.heard(id);
  }
}
