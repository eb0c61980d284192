package io.rowguard.audit;

import io.rowguard.core.Attribution;
import io.rowguard.core.ChangeEvent;
import io.rowguard.journal.JournalEntry;
import java.util.List;

/**
 * One change in an audit answer.
 *
 * @param entry the journaled change
 * @param attribution who made it, and how rowguard knows
 * @param changedColumns the columns it changed (every column of an insert or delete)
 */
public record AuditRow(JournalEntry entry, Attribution attribution, List<String> changedColumns) {
  public long seq() {
    return entry.seq();
  }

  public ChangeEvent change() {
    return entry.event();
  }
}
