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

  /** The batch being assembled on the engine thread, which offsets are committed with. */
  Journal.Batch currentBatch() {
    return currentBatch;
  }

  void currentBatch(Journal.Batch batch) {
    this.currentBatch = batch;
  }
}
