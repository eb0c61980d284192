package io.rowguard.journal;

import io.rowguard.core.InputException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal's directory is production data (invariant 8): owner-only, and every problem with it
 * is one line that says what is wrong with which path and how to fix it.
 */
final class JournalDirectory {
  private static final Logger LOG = LoggerFactory.getLogger(JournalDirectory.class);
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> OTHERS =
      EnumSet.of(
          PosixFilePermission.GROUP_READ,
          PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_EXECUTE,
          PosixFilePermission.OTHERS_READ,
          PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_EXECUTE);

  private JournalDirectory() {}

  /**
   * Creates the directory owner-only if it is missing; an existing one that others may read or
   * write is made owner-only (files 0600), and the log says so.
   */
  static void prepareForWriting(Path dir) {
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new InputException("journal.dir " + dir + " exists and is not a directory");
      }
      makePrivate(dir);
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
    } catch (UnsupportedOperationException e) {
      throw new InputException(
          "journal.dir " + dir + " is on a file system without POSIX permissions");
    } catch (IOException e) {
      throw new InputException(
          "cannot create journal.dir "
              + dir
              + ": "
              + reason(e)
              + describe(nearestExisting(parent))
              + "; create it as a user who may, owned by the user that runs rowguard, or pick"
              + " another journal.dir");
    }
  }

  /**
   * Checks that a reader can open the journal: a missing one says so, one this user may not read
   * says why (owner and mode), instead of looking missing.
   */
  static void checkReadable(Path dir) {
    if (Files.isRegularFile(dir.resolve("CURRENT"))) {
      return;
    }
    if (!Files.exists(dir)) {
      Path existing = nearestExisting(dir.toAbsolutePath().getParent());
      if (existing != null && !Files.isExecutable(existing)) {
        throw new InputException(
            "cannot read journal "
                + dir
                + ": permission denied"
                + describe(existing)
                + "; run as the user that runs capture");
      }
      throw new InputException(
          "no journal at " + dir + " yet: run `rowguard capture -c FILE` first");
    }
    if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
      throw new InputException(
          "cannot read journal "
              + dir
              + ": permission denied"
              + describe(dir)
              + "; run as the user that runs capture");
    }
    if (Files.exists(dir.resolve("CURRENT")) && !Files.isReadable(dir.resolve("CURRENT"))) {
      throw new InputException(
          "cannot read journal "
              + dir
              + ": permission denied"
              + describe(dir.resolve("CURRENT"))
              + "; run as the user that runs capture");
    }
    throw new InputException("no journal at " + dir + " yet: run `rowguard capture -c FILE` first");
  }

  private static void makePrivate(Path dir) {
    Set<PosixFilePermission> perms;
    try {
      perms = Files.getPosixFilePermissions(dir);
    } catch (UnsupportedOperationException e) {
      return; // no POSIX permissions to fix
    } catch (IOException e) {
      throw new InputException("cannot read journal.dir " + dir + ": " + reason(e));
    }
    boolean dirOpen = perms.stream().anyMatch(OTHERS::contains);
    if (!dirOpen) {
      return; // nobody else reaches the files inside, whatever their mode (RocksDB makes them 0644)
    }
    int files = 0;
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path f : (Iterable<Path>) entries::iterator) {
        if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
          Set<PosixFilePermission> fp = Files.getPosixFilePermissions(f);
          if (fp.stream().anyMatch(OTHERS::contains)) {
            fp.removeAll(OTHERS);
            Files.setPosixFilePermissions(f, fp);
            files++;
          }
        }
      }
      Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
    } catch (IOException e) {
      throw new InputException(
          "journal.dir "
              + dir
              + " may be read or written by others ("
              + PosixFilePermissions.toString(perms)
              + ") and rowguard cannot make it owner-only: "
              + reason(e)
              + describe(dir)
              + "; run: chmod -R go-rwx "
              + dir);
    }
    LOG.warn(
        "journal.dir {} could be read by others ({}): made it owner-only (rwx------, files"
            + " rw-------){}",
        dir,
        PosixFilePermissions.toString(perms),
        files > 0 ? "; " + files + " file(s) fixed" : "");
  }

  /** The deepest existing directory on the way to {@code p}, or null. */
  private static Path nearestExisting(Path p) {
    Path at = p;
    while (at != null && !Files.exists(at)) {
      at = at.getParent();
    }
    return at;
  }

  /** " (owner U, mode rwx------ on P)", or empty when that can't be read either. */
  private static String describe(Path p) {
    if (p == null) {
      return "";
    }
    try {
      return " ("
          + p
          + " is owned by "
          + Files.getOwner(p).getName()
          + ", mode "
          + PosixFilePermissions.toString(Files.getPosixFilePermissions(p))
          + ")";
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  /** What went wrong, in words: Java's file exceptions carry only the path as their message. */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException a) {
      return "permission denied on " + a.getFile();
    }
    if (e instanceof NoSuchFileException n) {
      return "no such file or directory: " + n.getFile();
    }
    if (e instanceof FileSystemException f) {
      String why = f.getReason();
      return (why == null ? f.getClass().getSimpleName() : why)
          + (f.getFile() == null ? "" : " (" + f.getFile() + ")");
    }
    return String.valueOf(e.getMessage());
  }
}
