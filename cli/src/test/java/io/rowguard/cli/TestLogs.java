package io.rowguard.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the suite's processes logged, and the secrets they were given, kept under target/ for {@link
 * SecretsScanIT} to search after every other test: the logs of child JVMs live in their tests'
 * temporary directories, which are deleted, so each is written here and linked there.
 */
final class TestLogs {
  static final Path LOGS = Path.of("target", "test-logs").toAbsolutePath();
  static final Path SECRETS = Path.of("target", "test-secrets").toAbsolutePath();
  private static final AtomicInteger N = new AtomicInteger();

  private TestLogs() {}

  /**
   * {@code log}, made a link to a file under target/test-logs (when it is not one already): a
   * process writing {@code log} writes there.
   */
  static Path keep(Path log) {
    try {
      if (Files.isSymbolicLink(log) || Files.exists(log)) {
        return log;
      }
      Files.createDirectories(LOGS);
      Path kept =
          LOGS.resolve(
              ProcessHandle.current().pid() + "-" + N.incrementAndGet() + "-" + log.getFileName());
      Files.createFile(kept);
      Files.createSymbolicLink(log, kept);
      return log;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Keeps what a finished command printed, appended to {@code name} of this JVM. */
  static synchronized void record(String name, String text) {
    if (text.isEmpty()) {
      return;
    }
    try {
      Files.createDirectories(LOGS);
      Files.writeString(
          LOGS.resolve(ProcessHandle.current().pid() + "-" + name),
          text,
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Notes secrets a test gives rowguard: none may appear in any log or error line. */
  static synchronized void secret(String... secrets) {
    try {
      Files.createDirectories(SECRETS);
      Files.writeString(
          SECRETS.resolve(ProcessHandle.current().pid() + ".txt"),
          String.join("\n", secrets) + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
