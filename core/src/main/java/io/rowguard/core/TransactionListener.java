package io.rowguard.core;

/**
 * Told about each source transaction once it is journaled, in commit order, on the capture's
 * thread: an implementation must return quickly and must not throw.
 */
@FunctionalInterface
public interface TransactionListener {
  void journaled(TransactionSummary transaction);

  TransactionListener NONE = t -> {};
}
