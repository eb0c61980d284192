package io.rowguard.journal.internal;

import java.nio.charset.StandardCharsets;

/**
 * The keys of the journal's meta family ({@link Families#meta}). Sequence numbers and counters are
 * stored as {@link Keys#seq}.
 */
public final class MetaKeys {
  private MetaKeys() {}

  /** The newest record that ends a complete source transaction. */
  public static final byte[] WATERMARK = utf8("watermark");

  /** The chain hash of the watermark's record. */
  public static final byte[] HEAD = utf8("head");

  /** The journal format, an int. */
  static final byte[] FORMAT_KEY = utf8("format");

  /** The journal's random identity, which the chain starts from. */
  static final byte[] JOURNAL_ID = utf8("journal-id");

  /** Changes ever committed. */
  public static final byte[] APPENDED = utf8("changes-appended");

  /** Changes pruned. */
  public static final byte[] PRUNED = utf8("changes-pruned");

  /** The newest retention record. */
  public static final byte[] RETENTION = utf8("retention");

  /** The end of the newest prune that finished deleting. */
  public static final byte[] PRUNE_DONE = utf8("prune-done");

  /** How far an upgrade from a journal without the chain has got. */
  static final byte[] MIGRATED = utf8("migrated-up-to");

  /** Before a gap record's sequence number; the value is that number too. */
  public static final byte[] GAP_PREFIX = utf8("gap:");

  /** The newest binding record. */
  public static final byte[] BINDING = utf8("binding");

  /**
   * Before a table (its schema and name); the value is when its base versions begin, in
   * microseconds as a signed varlong.
   */
  public static final byte[] BASED_PREFIX = utf8("based:");

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
