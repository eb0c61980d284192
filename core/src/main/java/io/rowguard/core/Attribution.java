package io.rowguard.core;

/**
 * Who made a change, and how rowguard knows. Changes nobody claimed are {@link #UNATTRIBUTED}:
 * rowguard never guesses.
 *
 * @param actor who; null when unattributed
 * @param source where the answer comes from
 * @param tag the transaction's rowguard message when that is the source (reason, request,
 *     rollback), else null
 * @param undoneBy the rowguard rollback or backout that later undid the change's transaction, or
 *     null
 */
public record Attribution(String actor, Source source, TransactionTag tag, Undo undoneBy) {

  /** Where an actor was found, most trusted first. */
  public enum Source {
    /** a rowguard logical message in the same transaction */
    MESSAGE,
    /** the table's configured actor column, set by this change */
    COLUMN,
    /** nothing names an actor */
    NONE;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final Attribution UNATTRIBUTED = new Attribution(null, Source.NONE, null);

  public Attribution(String actor, Source source, TransactionTag tag) {
    this(actor, source, tag, null);
  }

  public Attribution {
    if ((actor == null) != (source == Source.NONE)) {
      throw new IllegalArgumentException("an actor needs a source, and only an actor has one");
    }
  }

  /**
   * The attribution of one change: its transaction's message wins, then what the change itself
   * says.
   */
  public static Attribution of(TransactionTag tag, ChangeEvent change) {
    if (tag != null && tag.actor() != null) {
      return new Attribution(tag.actor(), Source.MESSAGE, tag);
    }
    if (change.actor() != null) {
      return new Attribution(change.actor(), Source.COLUMN, tag);
    }
    return tag == null ? UNATTRIBUTED : new Attribution(null, Source.NONE, tag);
  }

  /** The same attribution, marked as undone by {@code undo} (when not null). */
  public Attribution undoneBy(Undo undo) {
    return undo == null ? this : new Attribution(actor, source, tag, undo);
  }

  public boolean isAttributed() {
    return actor != null;
  }

  /** "alice (message)", or "unattributed". */
  @Override
  public String toString() {
    return actor == null ? "unattributed" : actor + " (" + source.label() + ")";
  }
}
