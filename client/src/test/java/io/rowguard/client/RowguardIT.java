package io.rowguard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tag is a transactional logical message: it is in the log exactly when the writes are. */
class RowguardIT {
  @Test
  void theTagTravelsWithItsTransactionAndOnlyWithIt() throws Exception {
    try (EmbeddedPostgres pg =
            EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
        Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      // the embedded server commits asynchronously; decoding reads only flushed WAL
      s.execute("SET synchronous_commit = on");
      s.execute("CREATE TABLE t (id int PRIMARY KEY, v text)");
      s.execute("SELECT pg_create_logical_replication_slot('probe', 'test_decoding')");

      assertThatThrownBy(() -> Rowguard.tag(c, "alice"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("setAutoCommit(false)");

      c.setAutoCommit(false);
      Rowguard.tag(c, "alice", "fix \"quoted\"", "REQ-7");
      s.execute("INSERT INTO t VALUES (1, 'kept')");
      c.commit();
      Rowguard.tag(c, "mallory");
      s.execute("INSERT INTO t VALUES (2, 'gone')");
      c.rollback();
      c.setAutoCommit(true);

      List<String> log = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery("SELECT data FROM pg_logical_slot_get_changes('probe', NULL, NULL)")) {
        while (rs.next()) {
          log.add(rs.getString(1));
        }
      }
      assertThat(String.join("\n", log))
          .contains("prefix: rowguard")
          .contains("{\"actor\":\"alice\",\"reason\":\"fix \\\"quoted\\\"\",\"request\":\"REQ-7\"}")
          .contains("INSERT: id[integer]:1")
          .doesNotContain("mallory")
          .doesNotContain("id[integer]:2");
    }
  }
}
