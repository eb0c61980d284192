package io.rowguard.journal;

import io.rowguard.core.TableId;
import io.rowguard.core.ValueFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outcome of {@link Journal#verify}: how much was checked, the chain's head, and the first
 * problem found, if any.
 *
 * @param records log records checked (changes, notes, the journal's own records)
 * @param changes changes among them
 * @param keptBeforeCut records kept from before the retention cut, checked against its digest
 * @param headSeq the sequence number of the newest record checked
 * @param headHash its chain hash, in hex: note it down to prove later that nothing up to here
 *     changed
 * @param problem the first inconsistency, or empty when the journal is intact
 * @param remarks things the reader should know that are not problems
 */
public record VerifyReport(
    long records,
    long changes,
    long keptBeforeCut,
    long headSeq,
    String headHash,
    Optional<Problem> problem,
    List<String> remarks) {

  public VerifyReport {
    remarks = List.copyOf(remarks);
  }

  public boolean ok() {
    return problem.isEmpty();
  }

  /**
   * The first bad entry.
   *
   * @param seq its sequence number
   * @param table its table, when known
   * @param key its row key as text, when known
   * @param commitMicros its commit time, when known
   * @param what what is wrong with it
   */
  public record Problem(
      long seq,
      Optional<TableId> table,
      Optional<String> key,
      OptionalLong commitMicros,
      String what) {

    /** "entry 17 (public.orders key 5, committed 2026-…Z): does not match the hash chain". */
    public String describe() {
      if (seq <= 0) {
        return what;
      }
      StringBuilder sb = new StringBuilder("entry ").append(seq);
      StringBuilder detail = new StringBuilder();
      table.ifPresent(t -> detail.append(t));
      key.ifPresent(k -> detail.append(detail.length() > 0 ? " " : "").append("key ").append(k));
      if (commitMicros.isPresent()) {
        detail
            .append(detail.length() > 0 ? ", " : "")
            .append("committed ")
            .append(ValueFormat.instant(commitMicros.getAsLong()));
      }
      if (detail.length() > 0) {
        sb.append(" (").append(detail).append(')');
      }
      return sb.append(": ").append(what).toString();
    }
  }
}
