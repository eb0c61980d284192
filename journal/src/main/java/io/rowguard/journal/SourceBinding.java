package io.rowguard.journal;

/**
 * The source a journal belongs to, recorded when capture first writes it: a journal holds one
 * database's changes, resumed through one replication slot, and refuses any other source.
 *
 * @param connector the kind of database ({@code postgres}, {@code mysql}, {@code mariadb})
 * @param server the server's own identity, which survives a move to another host (PostgreSQL: the
 *     system identifier)
 * @param database the database's name and identity (PostgreSQL: {@code shop (oid 16384)})
 * @param slot the replication slot the journal resumes from
 * @param publication the publication its changes come through (PostgreSQL; empty elsewhere)
 * @param address where the server was reached when the journal was bound, for messages only
 */
public record SourceBinding(
    String connector,
    String server,
    String database,
    String slot,
    String publication,
    String address) {

  /** How the binding reads in a message: what it is, not where it was reached. */
  public String describe() {
    return connector
        + " database "
        + database
        + " on server "
        + server
        + " ("
        + address
        + "), slot "
        + slot
        + (publication.isEmpty() ? "" : ", publication " + publication);
  }

  /**
   * Refuses {@code now} unless it is the same database on the same server as this binding (exit 2,
   * naming both): a journal holds one database's changes.
   */
  public void refuseOther(java.nio.file.Path journalDir, SourceBinding now) {
    if (!connector.equals(now.connector)
        || !server.equals(now.server)
        || !database.equals(now.database)) {
      throw new io.rowguard.core.InputException(
          "journal "
              + journalDir
              + " belongs to "
              + describe()
              + ", but this config points at "
              + now.describe()
              + ": a journal holds one database's changes; use that database's journal.dir, or"
              + " a new directory for this one");
    }
  }
}
