package io.rowguard.connectors.internal;

import io.rowguard.journal.Journal;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connects a running engine's offset store to its journal. Debezium creates the offset store by
 * class name, so it finds its session through this registry, by the id rowguard puts in the
 * engine's properties.
 */
public final class CaptureSession {
  /** The engine property that carries the session id to {@link JournalOffsetStore}. */
  public static final String ID_PROPERTY = "rowguard.capture.session";

  private static final Map<String, CaptureSession> SESSIONS = new ConcurrentHashMap<>();

  private final String id = UUID.randomUUID().toString();
  private final Journal journal;
  private volatile Journal.Batch currentBatch;
  private volatile java.util.function.Consumer<String> snapshotNotices = type -> {};
  // schema history records Debezium wrote on its own thread, to store with the next offsets
  private final java.util.List<byte[]> pendingHistory = new java.util.ArrayList<>();

  private CaptureSession(Journal journal) {
    this.journal = journal;
  }

  public static CaptureSession register(Journal journal) {
    CaptureSession s = new CaptureSession(journal);
    SESSIONS.put(s.id, s);
    return s;
  }

  /** The session with {@code id}, or null. */
  static CaptureSession find(String id) {
    return id == null ? null : SESSIONS.get(id);
  }

  static CaptureSession lookup(String id) {
    CaptureSession s = id == null ? null : SESSIONS.get(id);
    if (s == null) {
      throw new IllegalStateException(
          "no rowguard capture session '" + id + "': the offset store must be created by Capture");
    }
    return s;
  }

  public void unregister() {
    SESSIONS.remove(id);
  }

  public String id() {
    return id;
  }

  public Journal journal() {
    return journal;
  }

  /** Whom Debezium's snapshot notices ({@code COMPLETED}, {@code ABORTED}, …) go to. */
  public void onSnapshotNotice(java.util.function.Consumer<String> listener) {
    this.snapshotNotices = listener;
  }

  void snapshotNotice(String type) {
    snapshotNotices.accept(type);
  }

  /**
   * Keeps a schema history record until the next batch stores offsets: it becomes durable in the
   * same write as the first offsets that can point past the change it describes. Lost in a crash
   * before that write, it is written again, because capture resumes from before that change.
   */
  void addSchemaHistory(byte[] record) {
    synchronized (pendingHistory) {
      pendingHistory.add(record);
    }
  }

  /** The schema history records not stored yet, which the caller stores now. */
  java.util.List<byte[]> takeSchemaHistory() {
    synchronized (pendingHistory) {
      if (pendingHistory.isEmpty()) {
        return java.util.List.of(); // nearly every batch: no DDL since the last one
      }
      java.util.List<byte[]> out = java.util.List.copyOf(pendingHistory);
      pendingHistory.clear();
      return out;
    }
  }

  /** True while a schema history record waits for the next offsets. */
  boolean schemaHistoryPending() {
    synchronized (pendingHistory) {
      return !pendingHistory.isEmpty();
    }
  }

  /** The batch being assembled on the engine thread, which offsets are committed with. */
  public Journal.Batch currentBatch() {
    return currentBatch;
  }

  void currentBatch(Journal.Batch batch) {
    this.currentBatch = batch;
  }
}
