package io.rowguard.connectors;

import java.util.function.Supplier;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One server of a kind per test JVM, shared by every test class that asks for its fixture as a
 * parameter (in a {@code @BeforeAll} method or a test), and stopped when the JVM's tests are done.
 * Classes sharing it keep to their own tables, users and replica ids.
 */
abstract class SharedServerExtension<F extends AutoCloseable>
    implements ParameterResolver, BeforeAllCallback {
  private final Class<F> type;
  private final Supplier<F> start;

  SharedServerExtension(Class<F> type, Supplier<F> start) {
    this.type = type;
    this.start = start;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == type;
  }

  /**
   * Starts (or finds) the server before the class's {@code @BeforeAll} methods: where none can run
   * here, the fixture's assumption skips the class, saying why, instead of failing its parameter.
   */
  @Override
  public void beforeAll(ExtensionContext context) {
    server(context);
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return server(context);
  }

  private Object server(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(getClass()))
        .getOrComputeIfAbsent("server", key -> new Server(start.get()), Server.class)
        .fixture();
  }

  /** Closed by JUnit with the root context, after the JVM's last test. */
  private record Server(AutoCloseable fixture)
      implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() throws Exception {
      fixture.close();
    }
  }
}
