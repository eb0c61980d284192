package io.rowguard.replay.internal.postgres;

import io.rowguard.replay.ReplayException;
import java.sql.SQLException;
import org.postgresql.util.PSQLException;

/**
 * PostgreSQL's errors while applying, told as what blocked the plan and that nothing was written.
 */
final class PgErrors {
  private PgErrors() {}

  static ReplayException describe(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String detail = "";
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      var m = p.getServerErrorMessage();
      detail = m.getDetail() == null ? "" : " (" + m.getDetail() + ")";
      String kind =
          switch (state) {
            case "23503" -> "foreign key constraint ";
            case "23505" -> "unique constraint ";
            default -> null;
          };
      if (kind != null) {
        return new ReplayException(
            kind
                + m.getConstraint()
                + " on "
                + m.getSchema()
                + "."
                + m.getTable()
                + " blocks the plan"
                + detail
                + "; nothing was written"
                + (state.equals("23503")
                    ? ". A row outside the plan refers to a row it removes (add that row or table"
                        + " to the plan), or the plan's rows refer to each other in a cycle that"
                        + " only a deferrable constraint lets be written in one go (ALTER TABLE "
                        + m.getSchema()
                        + "."
                        + m.getTable()
                        + " ALTER CONSTRAINT "
                        + m.getConstraint()
                        + " DEFERRABLE; rowguard defers every deferrable constraint)"
                    : ""),
            e);
      }
    }
    String first = e.getMessage() == null ? state : e.getMessage().split("\n")[0];
    return new ReplayException(
        "applying the plan failed: " + first + detail + "; nothing was written", e);
  }
}
