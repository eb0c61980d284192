package io.rowguard.connectors.internal;

import io.debezium.config.CommonConnectorConfig;
import io.debezium.pipeline.notification.Notification;
import io.debezium.pipeline.notification.channels.NotificationChannel;

/**
 * Debezium's notifications, for the capture they belong to: that a snapshot completed or was
 * aborted, which is how rowguard learns that a backfill (a blocking snapshot) is over, including
 * one of an empty table that produced no row. Debezium finds it through the service loader by its
 * name, {@value #NAME}, and the capture through the session id in the engine's properties.
 */
public final class CaptureNotifications implements NotificationChannel {
  public static final String NAME = "rowguard";
  static final String SNAPSHOT = "Initial Snapshot";

  private CaptureSession session;

  @Override
  public void init(CommonConnectorConfig config) {
    // an engine run without a capture (a benchmark's baseline) has no session: nothing to tell
    session = CaptureSession.find(config.getConfig().getString(CaptureSession.ID_PROPERTY));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void send(Notification notification) {
    if (session != null && SNAPSHOT.equals(notification.getAggregateType())) {
      session.snapshotNotice(notification.getType());
    }
  }

  @Override
  public void close() {}
}
