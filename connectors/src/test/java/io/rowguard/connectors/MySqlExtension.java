package io.rowguard.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One MySQL per test JVM ({@link MySqlFixture#start}), shared by every test class that asks for a
 * {@link MySqlFixture} parameter (in a {@code @BeforeAll} method or a test), and stopped when the
 * JVM's tests are done. Classes sharing it keep to their own tables, users and replica ids. Where
 * no MySQL can run, the asking tests are skipped, saying what to run.
 */
public final class MySqlExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(MySqlExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == MySqlFixture.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent("server", key -> new Server(MySqlFixture.start()), Server.class)
        .fixture();
  }

  /** Closed by JUnit with the root context, after the JVM's last test. */
  private record Server(MySqlFixture fixture)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      try {
        fixture.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
