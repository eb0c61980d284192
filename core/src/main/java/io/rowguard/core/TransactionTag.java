package io.rowguard.core;

import java.util.List;
import java.util.Objects;

/**
 * What an application said about its own transaction, in a rowguard logical message emitted inside
 * it ({@code pg_logical_emit_message(true, 'rowguard', '{"actor":…,"reason":…,"request":…}')}).
 * rowguard's own rollbacks say it too, naming the rollback plan.
 *
 * @param actor who made the transaction; null when the message does not say
 * @param reason why, or null
 * @param request the application's request or ticket id, or null
 * @param rollback the id of the rowguard rollback plan this transaction applies, or null
 * @param undoes for a rollback, the transactions whose work its plan undid; else empty
 * @param json the message exactly as it was emitted
 */
public record TransactionTag(
    String actor,
    String reason,
    String request,
    String rollback,
    List<String> undoes,
    String json) {

  public TransactionTag {
    Objects.requireNonNull(json, "json");
    actor = blankToNull(actor);
    reason = blankToNull(reason);
    request = blankToNull(request);
    rollback = blankToNull(rollback);
    // each once: an index key per undone transaction
    undoes =
        rollback == null || undoes == null
            ? List.of()
            : List.copyOf(new java.util.LinkedHashSet<>(undoes));
  }

  public TransactionTag(String actor, String reason, String request, String rollback, String json) {
    this(actor, reason, request, rollback, List.of(), json);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  public boolean isRollback() {
    return rollback != null;
  }
}
