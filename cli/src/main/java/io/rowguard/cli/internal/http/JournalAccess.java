package io.rowguard.cli.internal.http;

import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * How the server reads the journal: inside {@code capture} through capture's own instance, in
 * {@code serve} through a reader opened for each look.
 */
@FunctionalInterface
public interface JournalAccess {
  <T> T read(Function<Journal, T> work);

  /** A reader opened (and caught up) for each look, and closed after it. */
  static JournalAccess readers(Path dir) {
    return new JournalAccess() {
      @Override
      public <T> T read(Function<Journal, T> work) {
        try (Journal j = Journal.openReader(dir)) {
          return work.apply(j);
        }
      }
    };
  }

  /** An instance this process holds open: capture's writer. */
  static JournalAccess of(Journal journal) {
    return new JournalAccess() {
      @Override
      public <T> T read(Function<Journal, T> work) {
        return work.apply(journal);
      }
    };
  }
}
