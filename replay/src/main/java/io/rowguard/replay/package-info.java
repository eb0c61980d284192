/**
 * Rollback planning and applying from the journal: rows, tables and transactions put back to an
 * earlier moment, as a dry-run plan first. Arrives with the replay issue; the module exists now so
 * that the build's layering is in place.
 */
package io.rowguard.replay;
