package io.rowguard.replay;

/** What applying a plan does to one row. */
public enum Action {
  /** The row did not exist at the target moment: delete it. */
  DELETE,
  /** The row was deleted since: insert it again. */
  INSERT,
  /** The row changed since: put its values back. */
  UPDATE
}
