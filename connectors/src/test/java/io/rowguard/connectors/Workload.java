package io.rowguard.connectors;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import org.postgresql.PGConnection;

/**
 * A write load of every shape that matters to exactly-once capture: 3,000-row COPYs and 100-row
 * multi-row INSERTs (many changes at one log position), large transactions over two tables, and
 * small single-row ones. Against tables {@code <prefix>_a (id bigint, v int, payload text)} and
 * {@code <prefix>_b (id bigint, n int)}. A round cut off by a lost connection is retried on a new
 * one (with new ids: the cut-off attempt may have committed), so the load survives server restarts.
 */
public final class Workload {
  private final PostgresFixture pg;
  private final String prefix;
  private long nextId = 1_000;

  public Workload(PostgresFixture pg, String prefix) {
    this.pg = pg;
    this.prefix = prefix;
  }

  /** Creates the tables, with 100 rows in the first. */
  public void createTables() throws SQLException {
    pg.exec(
        "CREATE TABLE " + prefix + "_a (id bigint PRIMARY KEY, v int NOT NULL, payload text)",
        "CREATE TABLE " + prefix + "_b (id bigint PRIMARY KEY, n int NOT NULL)",
        "ALTER TABLE " + prefix + "_a REPLICA IDENTITY FULL",
        "ALTER TABLE " + prefix + "_b REPLICA IDENTITY FULL",
        "INSERT INTO " + prefix + "_a SELECT g, 0, 'seed' FROM generate_series(1, 100) g");
  }

  public void run(int rounds, Random random) throws Exception {
    for (int round = 0; round < rounds; round++) {
      for (int attempt = 1; ; attempt++) {
        try (Connection c = pg.connect();
            Statement s = c.createStatement()) {
          round(round, c, s, random);
          break;
        } catch (SQLException e) {
          if (attempt == 60) {
            throw e;
          }
          Thread.sleep(500); // the server is restarting
        }
      }
      Thread.sleep(random.nextInt(300));
    }
  }

  private void round(int round, Connection c, Statement s, Random random) throws Exception {
    switch (round % 4) {
      case 0 -> {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
          rows.append(nextId++).append("\t1\tcopied\n");
        }
        c.unwrap(PGConnection.class)
            .getCopyAPI()
            .copyIn("COPY " + prefix + "_a FROM STDIN", new StringReader(rows.toString()));
      }
      case 1 -> {
        StringBuilder sql = new StringBuilder("INSERT INTO " + prefix + "_b VALUES ");
        for (int i = 0; i < 100; i++) {
          sql.append(i == 0 ? "" : ",").append('(').append(nextId++).append(", 0)");
        }
        s.execute(sql.toString());
      }
      case 2 -> {
        c.setAutoCommit(false);
        s.execute("UPDATE " + prefix + "_a SET v = v + 1 WHERE id % 3 = " + random.nextInt(3));
        s.execute("DELETE FROM " + prefix + "_b WHERE id % 7 = " + random.nextInt(7));
        c.commit();
      }
      default -> {
        for (int i = 0; i < 30; i++) {
          s.execute(
              "UPDATE "
                  + prefix
                  + "_a SET payload = 'small "
                  + i
                  + "' WHERE id = "
                  + (1 + random.nextInt(100)));
        }
      }
    }
  }
}
