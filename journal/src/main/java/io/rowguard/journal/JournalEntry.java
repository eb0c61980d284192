package io.rowguard.journal;

import io.rowguard.core.ChangeEvent;

/**
 * A journaled change and its sequence number: the journal's own, gap-free order of changes, which
 * is the source's commit order.
 */
public record JournalEntry(long seq, ChangeEvent event) {}
