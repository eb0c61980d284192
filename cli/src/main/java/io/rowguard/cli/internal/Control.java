package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running capture's control channel: a Unix domain socket in the journal's (owner-only)
 * directory, through which other rowguard commands ask the process that holds the journal to do
 * what only it can, such as a consistent backup. One JSON request per connection, one JSON reply.
 */
public final class Control {
  private static final Logger LOG = LoggerFactory.getLogger(Control.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_SOCKET_PATH = 100;

  private Control() {}

  /** What a request does; its reply, or an exception whose message is the error. */
  @FunctionalInterface
  public interface Handler {
    ObjectNode handle(JsonNode request) throws Exception;
  }

  /**
   * The socket of a journal: in its directory, or, where that path is too long for a socket, in a
   * private directory under the temporary directory named after the journal.
   */
  public static Path socketPath(Path journalDir) {
    Path inside = journalDir.toAbsolutePath().resolve("control.sock");
    if (inside.toString().length() <= MAX_SOCKET_PATH) {
      return inside;
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(journalDir.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8));
      return Path.of(System.getProperty("java.io.tmpdir"))
          .resolve("rowguard-" + HexFormat.of().formatHex(digest, 0, 8))
          .resolve("control.sock");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** How long a client may take to send its request before it is cut off. */
  static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(10);

  /** A listening control socket; close it before the journal. */
  public static final class Server implements AutoCloseable {
    private final Path path;
    private final ServerSocketChannel channel;
    private final Thread thread;
    private final java.util.concurrent.ScheduledExecutorService timeouts =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "rowguard-control-timeout");
              t.setDaemon(true);
              return t;
            });
    private volatile boolean closed;
    private boolean privateParent;

    /** The client whose request is being read, which a stop may cut off; null otherwise. */
    private volatile SocketChannel reading;

    private Server(Path path, ServerSocketChannel channel, Handler handler) {
      this.path = path;
      this.channel = channel;
      this.thread = new Thread(() -> serve(handler), "rowguard-control");
      thread.setDaemon(true);
      thread.start();
    }

    private void serve(Handler handler) {
      while (!closed) {
        try (SocketChannel client = channel.accept()) {
          BufferedReader in =
              new BufferedReader(Channels.newReader(client, StandardCharsets.UTF_8));
          Writer out = Channels.newWriter(client, StandardCharsets.UTF_8);
          // a client that connects and sends nothing must hold up neither other clients nor a
          // stop: it is cut off after a while, or at once when the capture stops
          reading = client;
          var cutOff =
              timeouts.schedule(
                  () -> closeQuietly(client),
                  REQUEST_TIMEOUT.toMillis(),
                  java.util.concurrent.TimeUnit.MILLISECONDS);
          String line;
          try {
            line = closed ? null : in.readLine();
          } finally {
            reading = null;
            cutOff.cancel(false);
          }
          if (line == null || closed) {
            continue;
          }
          ObjectNode reply;
          try {
            reply = handler.handle(JSON.readTree(line));
            reply.put("ok", true);
          } catch (Exception e) {
            reply = JSON.createObjectNode();
            reply.put("ok", false);
            reply.put("error", String.valueOf(e.getMessage()));
          }
          out.write(JSON.writeValueAsString(reply));
          out.write('\n');
          out.flush();
        } catch (IOException e) {
          if (!closed) {
            LOG.debug("control connection failed", e);
          }
        }
      }
    }

    private static void closeQuietly(SocketChannel client) {
      try {
        client.close();
      } catch (IOException e) {
        LOG.debug("closing a control connection", e);
      }
    }

    /**
     * Stops listening, cuts off a client that has not sent its request yet, and waits for a request
     * in progress (a backup): the journal must not close under it. Deletes the socket.
     */
    @Override
    public void close() {
      closed = true;
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing the control socket", e);
      }
      SocketChannel waiting = reading;
      if (waiting != null) {
        closeQuietly(waiting);
      }
      boolean interrupted = false;
      while (thread.isAlive()) {
        try {
          thread.join(30_000);
          if (thread.isAlive()) {
            LOG.warn("waiting for a backup in progress to finish before stopping");
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      timeouts.shutdownNow();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      try {
        Files.deleteIfExists(path);
        if (privateParent) {
          Files.deleteIfExists(path.getParent()); // made for the socket (a long journal path)
        }
      } catch (IOException e) {
        LOG.debug("deleting the control socket", e);
      }
    }
  }

  /** Listens on the journal's control socket; empty (with a warning) where that is impossible. */
  public static Optional<Server> listen(Path journalDir, Handler handler) {
    Path path = socketPath(journalDir);
    try {
      Path parent = path.getParent();
      if (!Files.isDirectory(parent)) {
        Files.createDirectories(
            parent,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      checkPrivate(parent);
      Files.deleteIfExists(path); // left by a capture that was killed
      ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      channel.bind(UnixDomainSocketAddress.of(path));
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
      Server server = new Server(path, channel, handler);
      server.privateParent = !parent.equals(journalDir.toAbsolutePath());
      return Optional.of(server);
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn(
          "No control socket at {} ({}): `rowguard backup` cannot reach this capture",
          path,
          e.getMessage());
      return Optional.empty();
    }
  }

  /** The socket's directory must be this user's alone: someone else could swap the socket. */
  private static void checkPrivate(Path dir) throws IOException {
    var owner = Files.getOwner(dir);
    var me =
        dir.getFileSystem()
            .getUserPrincipalLookupService()
            .lookupPrincipalByName(System.getProperty("user.name"));
    var perms = Files.getPosixFilePermissions(dir);
    if (!owner.equals(me) || !perms.equals(PosixFilePermissions.fromString("rwx------"))) {
      throw new IOException(
          dir
              + " is not private to "
              + me.getName()
              + " (owner "
              + owner.getName()
              + ", "
              + PosixFilePermissions.toString(perms)
              + ")");
    }
  }

  /**
   * Sends a request to the capture running on the journal; empty when none listens (no socket, or
   * one left by a capture that died).
   */
  public static Optional<JsonNode> call(Path journalDir, ObjectNode request) throws IOException {
    Path path = socketPath(journalDir);
    if (!Files.exists(path)) {
      return Optional.empty();
    }
    SocketChannel channel;
    try {
      channel = SocketChannel.open(UnixDomainSocketAddress.of(path));
    } catch (IOException refused) {
      return Optional.empty();
    }
    try (channel) {
      Writer out = Channels.newWriter(channel, StandardCharsets.UTF_8);
      out.write(JSON.writeValueAsString(request));
      out.write('\n');
      out.flush();
      String line =
          new BufferedReader(Channels.newReader(channel, StandardCharsets.UTF_8)).readLine();
      if (line == null) {
        throw new IOException("the capture closed its control connection without replying");
      }
      return Optional.of(JSON.readTree(line));
    }
  }
}
