package io.rowguard.journal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * How far each reader that must see every change (the Kafka mirror) has come, kept in the journal's
 * directory ({@code consumers/<name>.json}) so that retention never prunes what one has not yet
 * read, and {@code status} shows it. A reader writes its own position, atomically; the journal only
 * reads them. A position may lag the reader's own record of it (the mirror's is in Kafka), never
 * lead it.
 */
public final class ConsumerPositions {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DIR = "consumers";

  /** A reader's position: every change up to {@code seq} is consumed. */
  public record Position(String name, long seq, Instant updated, Path file) {}

  private ConsumerPositions() {}

  /** Stores {@code name}'s position: written to a temporary file, fsynced, moved into place. */
  public static void store(Path journalDir, String name, long seq, Clock clock) {
    if (!name.matches("[A-Za-z0-9._-]+")) {
      throw new IllegalArgumentException("not a consumer name: " + name);
    }
    Path dir = journalDir.resolve(DIR);
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(dir);
        try {
          Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (UnsupportedOperationException notPosix) {
          // the journal directory's own permissions protect it
        }
      }
      ObjectNode n = JSON.createObjectNode();
      n.put("seq", seq);
      n.put("updated", clock.instant().toString());
      Path tmp = dir.resolve(name + ".json.tmp");
      try (FileChannel ch =
          FileChannel.open(
              tmp,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(java.nio.ByteBuffer.wrap(n.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Path target = dir.resolve(name + ".json");
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new JournalException(journalDir, "store the position of " + name, e);
    }
  }

  /** Every stored position; a file that cannot be read is skipped (and said in its name). */
  public static List<Position> list(Path journalDir) {
    List<Position> out = new ArrayList<>();
    Path dir = journalDir.resolve(DIR);
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
      for (Path f : files) {
        try {
          JsonNode n = JSON.readTree(Files.readAllBytes(f));
          String name = f.getFileName().toString().replaceFirst("\\.json$", "");
          out.add(
              new Position(
                  name, n.path("seq").asLong(), Instant.parse(n.path("updated").asText()), f));
        } catch (NoSuchFileException gone) {
          // removed meanwhile
        } catch (IOException | RuntimeException unreadable) {
          out.add(new Position(f.getFileName() + " (unreadable)", 0, Instant.EPOCH, f));
        }
      }
    } catch (IOException e) {
      throw new JournalException(journalDir, "list the consumers' positions", e);
    }
    out.sort(java.util.Comparator.comparing(Position::name));
    return out;
  }

  /** The oldest position of any consumer: retention keeps every change after it. */
  public static OptionalLong oldest(Path journalDir) {
    return list(journalDir).stream().mapToLong(Position::seq).min();
  }
}
