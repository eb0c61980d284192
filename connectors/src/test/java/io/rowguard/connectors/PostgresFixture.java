package io.rowguard.connectors;

import io.rowguard.core.RowguardConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * A private PostgreSQL 17 with logical replication. Most test classes share one per test JVM
 * through {@link PostgresExtension}, each in a database of its own; a test that restarts the server
 * starts its own ({@link #startRestartable}).
 */
public final class PostgresFixture implements AutoCloseable {
  private EmbeddedPostgres pg;
  private final Path dataDir;
  private final String database;

  private PostgresFixture(EmbeddedPostgres pg, Path dataDir, String database) {
    this.pg = pg;
    this.dataDir = dataDir;
    this.database = database;
  }

  static EmbeddedPostgres.Builder builder() {
    return EmbeddedPostgres.builder()
        .setServerConfig("wal_level", "logical")
        // test classes start a capture, and so a slot, per test
        .setServerConfig("max_wal_senders", "60")
        .setServerConfig("max_replication_slots", "60")
        .setServerConfig("fsync", "off")
        // as on a default server: a commit has returned once its WAL is flushed, and so is what
        // logical decoding can see (the embedded server otherwise commits asynchronously, and a
        // change oracle read right after a commit could miss it)
        .setServerConfig("synchronous_commit", "on");
  }

  public static PostgresFixture start() {
    try {
      return new PostgresFixture(builder().start(), null, "postgres");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A server whose data lives in {@code dataDir}, so that {@link #restart} keeps it. */
  public static PostgresFixture startRestartable(Path dataDir) {
    try {
      return new PostgresFixture(
          builder().setDataDirectory(dataDir).setCleanDataDirectory(false).start(),
          dataDir,
          "postgres");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server (a fast shutdown: clients are cut off) and starts it again, same port. */
  public void restart() {
    restart(java.time.Duration.ZERO);
  }

  /** {@link #restart}, with the server down for {@code down} in between. */
  public void restart(java.time.Duration down) {
    if (dataDir == null) {
      throw new IllegalStateException("start the fixture with startRestartable to restart it");
    }
    int port = pg.getPort();
    // a fast shutdown waits for each walsender's client to confirm the shutdown checkpoint, and
    // the fixture's stop gives up after 5 s: cut the replication connections off first (capture
    // reconnects on its own after its retry wait, as from any restart)
    try (Connection c = connect();
        java.sql.Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'walsender'");
    } catch (SQLException e) {
      // already going down: the stop below decides
    }
    try {
      pg.close();
      Thread.sleep(down.toMillis());
      pg = builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the server was down", e);
    }
  }

  /** The same server, in {@code database} (which the caller creates). */
  static PostgresFixture in(EmbeddedPostgres pg, String database) {
    return new PostgresFixture(pg, null, database);
  }

  public int port() {
    return pg.getPort();
  }

  /** The database this fixture's connections and configs use. */
  public String database() {
    return database;
  }

  /** The JDBC URL of {@link #database}. */
  public String url() {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(url(), "postgres", "");
  }

  public void exec(String... sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** A config for this server, with extra keys (without prefix handling) added. */
  public Map<String, String> configProperties(Path journalDir, String includeList, String name) {
    Map<String, String> p = new HashMap<>();
    p.put("source.connector", "postgres");
    p.put("source.database.hostname", "127.0.0.1");
    p.put("source.database.port", Integer.toString(port()));
    p.put("source.database.user", "postgres");
    p.put("source.database.password", "");
    p.put("source.database.dbname", database);
    p.put("source.table.include.list", includeList);
    p.put("source.slot.name", "rg_" + name);
    p.put("source.publication.name", "rg_" + name);
    p.put("journal.dir", journalDir.toString());
    return p;
  }

  /** A config whose slot and publication are named after {@code name}, so tests do not share. */
  public RowguardConfig config(Path journalDir, String includeList, String name) {
    return RowguardConfig.of(
        journalDir.resolve("rowguard.properties"),
        configProperties(journalDir, includeList, name),
        env -> null);
  }

  /**
   * Waits until the capture's replication slot is active: the snapshot is done and every change
   * committed from now on is streamed.
   */
  public void awaitStreaming(RowguardConfig config) throws SQLException, InterruptedException {
    String slot = config.source().get("slot.name");
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    try (Connection c = connect();
        java.sql.PreparedStatement ps =
            c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      while (System.nanoTime() < deadline) {
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            return;
          }
        }
        Thread.sleep(50);
      }
    }
    throw new AssertionError("replication slot " + slot + " did not become active in 60 s");
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
