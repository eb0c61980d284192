package io.rowguard.connectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** What the private database servers ({@link LocalMariaDb}, the tests' MySQL) share. */
final class ServerProcess {
  private ServerProcess() {}

  /** Opens a connection, or says why not. */
  interface Connect {
    Connection open() throws SQLException;
  }

  /**
   * Waits up to 60 s until {@code server} accepts a connection; fails, with {@code errorLog}, if it
   * exits first.
   */
  static void awaitAccepting(
      String name, Process server, Connect connect, Supplier<String> errorLog) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    SQLException last = null;
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        throw new IOException(name + " exited with " + server.exitValue() + ": " + errorLog.get());
      }
      try (Connection c = connect.open()) {
        return;
      } catch (SQLException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while starting " + name, e);
      }
    }
    throw new IOException(name + " did not accept connections in 60 s: " + last);
  }

  /** SIGKILL, and wait for the process to be gone. */
  static void kill(Process server) {
    server.destroyForcibly();
    try {
      server.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops {@code server} (SIGTERM, then SIGKILL after 30 s), if any, and deletes {@code dir}. */
  static void stopAndDelete(Process server, Path dir) throws IOException {
    if (server != null) {
      server.destroy();
      try {
        if (!server.waitFor(30, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (UncheckedIOException e) {
      // a file removed meanwhile
    }
  }

  /** A log file's text, for an error message. */
  static String read(Path log) {
    try {
      return Files.readString(log).strip();
    } catch (IOException e) {
      return "(no " + log.getFileName() + ")";
    }
  }
}
