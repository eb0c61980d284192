package io.rowguard.cli.internal;

import io.rowguard.core.InputException;
import io.rowguard.core.TableId;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Finds the captured table a user means: {@code schema.table} or a bare {@code table} when only one
 * schema has it; case-insensitively when that is unambiguous, as unquoted SQL names are.
 */
public final class TableResolver {
  private TableResolver() {}

  public static TableId resolve(String text, Collection<TableId> captured) {
    TableId wanted = TableId.parse(text);
    List<TableId> exact =
        captured.stream()
            .filter(t -> t.name().equals(wanted.name()))
            .filter(t -> wanted.schema().isEmpty() || t.schema().equals(wanted.schema()))
            .toList();
    if (exact.size() == 1) {
      return exact.get(0);
    }
    List<TableId> candidates = exact;
    if (exact.isEmpty()) {
      candidates =
          captured.stream()
              .filter(t -> t.name().equalsIgnoreCase(wanted.name()))
              .filter(
                  t -> wanted.schema().isEmpty() || t.schema().equalsIgnoreCase(wanted.schema()))
              .toList();
      if (candidates.size() == 1) {
        return candidates.get(0);
      }
    }
    if (candidates.size() > 1) {
      throw new InputException(
          "table '" + text + "' is ambiguous: " + join(candidates) + "; name it as schema.table");
    }
    throw new InputException(
        "table '"
            + text
            + "' is not captured in this journal"
            + (captured.isEmpty()
                ? " (the journal is empty)"
                : " (captured: " + join(captured) + ")"));
  }

  private static String join(Collection<TableId> tables) {
    return tables.stream()
        .sorted()
        .map(TableId::toString)
        .limit(20)
        .collect(Collectors.joining(", "));
  }
}
