package io.rowguard.audit;

import io.rowguard.core.TableId;

/**
 * A transaction that broke a guard rule.
 *
 * @param rule {@code max-rows}, {@code protected-table} or {@code require-actor}
 * @param table the table it concerns
 * @param txId the transaction
 * @param commitMicros when it committed
 * @param actor who made it, or null when unattributed
 * @param rows the rows it wrote to the table (for require-actor: the unattributed ones)
 * @param limit the rule's limit, for max-rows; else -1
 * @param message the violation in one sentence
 */
public record Violation(
    String rule,
    TableId table,
    String txId,
    long commitMicros,
    String actor,
    long rows,
    long limit,
    String message) {}
