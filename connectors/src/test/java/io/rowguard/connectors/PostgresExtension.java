package io.rowguard.connectors;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One private PostgreSQL per test JVM, shared by every test class that asks for a {@link
 * PostgresFixture} parameter (in a {@code @BeforeAll} method or a test). Each class gets a database
 * of its own, so its tables, publications and grants never meet another's; when the class is done
 * its replication slots (the server's, not a database's) and its database are dropped. Roles are
 * the server's: a class that creates one drops it first. The server stops after the JVM's last
 * test.
 */
public final class PostgresExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(PostgresExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == PostgresFixture.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    EmbeddedPostgres server =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent("server", key -> Server.start(), Server.class)
            .pg();
    ExtensionContext testClass = context;
    while (testClass.getTestMethod().isPresent()) {
      testClass = testClass.getParent().orElseThrow();
    }
    String database =
        "t_" + testClass.getRequiredTestClass().getSimpleName().toLowerCase(Locale.ROOT);
    return testClass
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(
            "database", key -> ClassDatabase.create(server, database), ClassDatabase.class)
        .fixture();
  }

  private record Server(EmbeddedPostgres pg)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    static Server start() {
      try {
        return new Server(PostgresFixture.builder().start());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void close() throws IOException {
      pg.close();
    }
  }

  /** A test class's database on the shared server, dropped with its slots after the class. */
  private record ClassDatabase(PostgresFixture fixture, PostgresFixture admin)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    static ClassDatabase create(EmbeddedPostgres pg, String database) {
      PostgresFixture admin = PostgresFixture.in(pg, "postgres");
      try {
        admin.exec(
            "DROP DATABASE IF EXISTS " + database + " WITH (FORCE)", "CREATE DATABASE " + database);
      } catch (SQLException e) {
        throw new IllegalStateException("could not create test database " + database, e);
      }
      return new ClassDatabase(PostgresFixture.in(pg, database), admin);
    }

    @Override
    public void close() throws SQLException, InterruptedException {
      String database = fixture.database();
      try (Connection c = admin.connect();
          Statement s = c.createStatement()) {
        // a capture the class left running would hold its slot: cut it off, then drop
        for (int attempt = 0; attempt < 50; attempt++) {
          s.execute(
              "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                  + " WHERE database = '"
                  + database
                  + "' AND active_pid IS NOT NULL");
          try {
            s.execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE database = '"
                    + database
                    + "'");
            break;
          } catch (SQLException stillActive) {
            Thread.sleep(100);
          }
        }
        s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      }
    }
  }
}
