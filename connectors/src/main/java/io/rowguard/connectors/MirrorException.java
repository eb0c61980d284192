package io.rowguard.connectors;

import io.rowguard.core.RowguardException;

/**
 * The mirror stopped for a reason retrying cannot fix: another mirror took over, Kafka refuses its
 * transactional id, or a record is larger than Kafka accepts. The message says which.
 */
public final class MirrorException extends RowguardException {
  private static final long serialVersionUID = 1L;

  public MirrorException(String message) {
    super(message);
  }
}
