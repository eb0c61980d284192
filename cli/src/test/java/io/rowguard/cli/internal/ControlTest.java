package io.rowguard.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket of a running capture must never hold up its stop. */
class ControlTest {
  @TempDir Path dir;

  private Path journalDir() throws Exception {
    Path journal = dir.resolve("journal");
    Files.createDirectory(
        journal,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    return journal;
  }

  @Test
  void aClientThatSendsNothingDoesNotHoldUpTheStop() throws Exception {
    Path journal = journalDir();
    Control.Server server =
        Control.listen(journal, request -> Json.NODES.objectNode()).orElseThrow();
    Path socket = Control.socketPath(journal);
    try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      Thread.sleep(200); // the server is now reading its request
      CompletableFuture<Void> stop = CompletableFuture.runAsync(server::close);
      stop.get(5, TimeUnit.SECONDS);
    }
    assertThat(socket).doesNotExist();
  }

  @Test
  void aSilentClientIsCutOffAndOthersAreServed() throws Exception {
    Path journal = journalDir();
    try (Control.Server server =
        Control.listen(
                journal,
                request -> {
                  ObjectNode reply = Json.NODES.objectNode();
                  reply.put("echo", request.path("command").asText());
                  return reply;
                })
            .orElseThrow()) {
      Path socket = Control.socketPath(journal);
      try (SocketChannel silent = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
        ObjectNode request = Json.NODES.objectNode();
        request.put("command", "ping");
        CompletableFuture<com.fasterxml.jackson.databind.JsonNode> reply =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return Control.call(journal, request).orElseThrow();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        long timeout = Control.REQUEST_TIMEOUT.toSeconds() + 5;
        assertThat(reply.get(timeout, TimeUnit.SECONDS).path("echo").asText()).isEqualTo("ping");
      }
    }
  }
}
