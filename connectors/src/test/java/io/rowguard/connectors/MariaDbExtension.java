package io.rowguard.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One private MariaDB per test JVM, shared by every test class that asks for a {@link
 * MariaDbFixture} parameter (in a {@code @BeforeAll} method or a test), and stopped when the JVM's
 * tests are done. Classes sharing it keep to their own tables and users. Where {@code mariadbd} is
 * not installed, the asking tests are skipped, saying what to install.
 */
public final class MariaDbExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(MariaDbExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == MariaDbFixture.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent("server", key -> new Server(MariaDbFixture.start()), Server.class)
        .fixture();
  }

  /** Closed by JUnit with the root context, after the JVM's last test. */
  private record Server(MariaDbFixture fixture)
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
