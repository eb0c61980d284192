package io.rowguard.journal;

import io.rowguard.core.InputException;
import io.rowguard.journal.internal.Chain;
import io.rowguard.journal.internal.RocksNative;
import io.rowguard.journal.internal.Store;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.rocksdb.BackupEngine;
import org.rocksdb.BackupEngineOptions;
import org.rocksdb.Env;
import org.rocksdb.RestoreOptions;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backups of a journal with RocksDB's BackupEngine: the first backup into a directory copies every
 * file, later ones only the files that are new. A backup is consistent even while capture writes:
 * it is taken by the process that holds the journal, and includes its write-ahead log.
 */
public final class JournalBackups {
  private static final Logger LOG = LoggerFactory.getLogger(JournalBackups.class);

  /** Marks a restored journal as verified, until it is in place. */
  private static final String RESTORED_MARKER = "RESTORED";

  private JournalBackups() {}

  static {
    RocksNative.load();
  }

  /** Backs up the journal, which must be open for writing in this process. */
  public static BackupInfo backup(Journal journal, Path backupDir) {
    journal.store().checkOpen();
    if (!journal.store().isWriter()) {
      throw new IllegalStateException("a backup is taken through the journal's writer");
    }
    createPrivateDirectory(backupDir);
    // what the backup holds at least: it is taken after this
    Journal.CommittedState state = journal.committedState();
    JournalStatus status = journal.status();
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("lastSeq", Long.toString(state.lastSeq()));
    meta.put("changes", Long.toString(state.changes()));
    status.lastCommitMicros().ifPresent(m -> meta.put("lastCommit", Long.toString(m)));
    meta.put("head", Chain.hex(state.head()));
    try (BackupEngineOptions options = new BackupEngineOptions(backupDir.toString());
        BackupEngine engine = BackupEngine.open(Env.getDefault(), options)) {
      engine.createNewBackupWithMetadata(journal.cf.db(), encode(meta), false);
      List<org.rocksdb.BackupInfo> infos = engine.getBackupInfo();
      return toInfo(infos.get(infos.size() - 1));
    } catch (RocksDBException e) {
      throw new JournalException(journal.dir(), "back up to " + backupDir, e);
    }
  }

  /** The backups in a directory, oldest first. */
  public static List<BackupInfo> list(Path backupDir) {
    if (!Files.isDirectory(backupDir.resolve("meta"))) {
      throw new InputException("no journal backups in " + backupDir);
    }
    try (BackupEngineOptions options = new BackupEngineOptions(backupDir.toString());
        BackupEngine engine = BackupEngine.open(Env.getDefault(), options)) {
      List<BackupInfo> out = new ArrayList<>();
      for (org.rocksdb.BackupInfo i : engine.getBackupInfo()) {
        out.add(toInfo(i));
      }
      out.sort(Comparator.comparingInt(BackupInfo::id));
      return out;
    } catch (RocksDBException e) {
      throw new JournalException(backupDir, "read the backups", e);
    }
  }

  /**
   * Restores a backup (the newest when {@code id} is empty) as the journal in {@code journalDir}.
   * The backup is restored beside it and verified first; only then is the current journal moved
   * aside (kept, and named in the result) and the restored one put in its place. Refuses while a
   * capture holds the journal.
   */
  public static RestoreResult restore(
      Path backupDir, OptionalInt id, Path journalDir, Clock clock) {
    List<BackupInfo> backups = list(backupDir);
    if (backups.isEmpty()) {
      throw new InputException("no journal backups in " + backupDir);
    }
    int chosen = id.orElse(backups.get(backups.size() - 1).id());
    if (backups.stream().noneMatch(b -> b.id() == chosen)) {
      throw new InputException(
          "no backup "
              + chosen
              + " in "
              + backupDir
              + " (backups: "
              + String.join(", ", backups.stream().map(b -> Integer.toString(b.id())).toList())
              + ")");
    }
    try (DirectoryLock lock = DirectoryLock.take(journalDir)) {
      Path staging = journalDir.resolveSibling(journalDir.getFileName() + ".restoring");
      deleteRecursively(staging);
      createPrivateDirectory(staging);
      try (BackupEngineOptions options = new BackupEngineOptions(backupDir.toString());
          BackupEngine engine = BackupEngine.open(Env.getDefault(), options);
          RestoreOptions restore = new RestoreOptions(false)) {
        engine.restoreDbFromBackup(chosen, staging.toString(), staging.toString(), restore);
      } catch (RocksDBException e) {
        deleteRecursively(staging);
        throw new JournalException(backupDir, "restore backup " + chosen, e);
      }
      VerifyReport report;
      try (Journal restored = Journal.openWriter(staging)) {
        report = restored.verify(Journal.Progress.NONE);
      } catch (RuntimeException e) {
        deleteRecursively(staging);
        throw e;
      }
      if (!report.ok()) {
        deleteRecursively(staging);
        throw new JournalException(
            backupDir,
            "backup "
                + chosen
                + " does not verify, nothing was changed: "
                + report.problem().get().describe());
      }
      Path previous = null;
      try {
        writeDurably(staging.resolve(RESTORED_MARKER), "backup " + chosen + "\n");
        if (Files.exists(journalDir)) {
          String stamp =
              DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                  .withZone(ZoneOffset.UTC)
                  .format(clock.instant());
          previous =
              journalDir.resolveSibling(journalDir.getFileName() + ".before-restore-" + stamp);
          Files.move(journalDir, previous, StandardCopyOption.ATOMIC_MOVE);
        }
        // a crash here leaves the verified journal in staging: the next writer moves it in
        Files.move(staging, journalDir, StandardCopyOption.ATOMIC_MOVE);
        Files.delete(journalDir.resolve(RESTORED_MARKER));
      } catch (IOException e) {
        throw new JournalException(journalDir, "put the restored journal in place", e);
      }
      return new RestoreResult(chosen, journalDir, java.util.Optional.ofNullable(previous), report);
    }
  }

  /**
   * A restore that was cut short between moving the old journal aside and moving the verified one
   * in leaves the journal's place empty and the restored journal beside it: move it in.
   */
  static void finishInterruptedRestore(Path dir) {
    Path staging = dir.resolveSibling(dir.getFileName() + ".restoring");
    if (Files.isRegularFile(dir.resolve("CURRENT"))
        || !Files.isRegularFile(staging.resolve(RESTORED_MARKER))) {
      return;
    }
    try {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> entries = Files.list(dir)) {
          if (entries.findAny().isPresent()) {
            return; // not ours to replace
          }
        }
        Files.delete(dir);
      }
      Files.move(staging, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      Files.delete(dir.resolve(RESTORED_MARKER));
      LOG.warn(
          "Finished an interrupted restore: moved the restored journal {} to {}", staging, dir);
    } catch (IOException e) {
      throw new JournalException(dir, "finish an interrupted restore from " + staging, e);
    }
  }

  private static void writeDurably(Path file, String text) throws IOException {
    Files.writeString(file, text);
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
  }

  /**
   * Holds a journal's RocksDB lock file, so that no capture can open the journal while a restore
   * replaces it; refuses when a capture (in this or another process) holds it.
   */
  private static final class DirectoryLock implements AutoCloseable {
    private final java.nio.channels.FileChannel channel;
    private final java.nio.channels.FileLock lock;

    private DirectoryLock(java.nio.channels.FileChannel channel, java.nio.channels.FileLock lock) {
      this.channel = channel;
      this.lock = lock;
    }

    static DirectoryLock take(Path journalDir) {
      Path file = journalDir.resolve("LOCK");
      if (!Files.isRegularFile(file)) {
        return new DirectoryLock(null, null);
      }
      InputException inUse =
          new InputException(
              "journal " + journalDir + " is in use: stop the capture on it before restoring");
      if (Store.isOpenForWriting(journalDir)) {
        throw inUse;
      }
      try {
        java.nio.channels.FileChannel ch =
            java.nio.channels.FileChannel.open(
                file,
                java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock l;
        try {
          l = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
          l = null;
        }
        if (l == null) {
          ch.close();
          throw inUse;
        }
        return new DirectoryLock(ch, l);
      } catch (IOException e) {
        throw new JournalException(journalDir, "lock for the restore", e);
      }
    }

    @Override
    public void close() {
      try {
        if (lock != null) {
          lock.release();
        }
        if (channel != null) {
          channel.close();
        }
      } catch (IOException e) {
        // the lock goes with the channel
      }
    }
  }

  private static String encode(Map<String, String> meta) {
    StringBuilder sb = new StringBuilder();
    meta.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ";").append(k).append('=').append(v));
    return sb.toString();
  }

  private static BackupInfo toInfo(org.rocksdb.BackupInfo i) {
    Map<String, String> meta = new LinkedHashMap<>();
    String raw = i.appMetadata() == null ? "" : i.appMetadata();
    for (String part : raw.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        meta.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return new BackupInfo(
        i.backupId(),
        i.timestamp() * 1000L,
        i.size(),
        i.numberFiles(),
        parse(meta.get("lastSeq")),
        parse(meta.get("changes")),
        meta.containsKey("lastCommit")
            ? OptionalLong.of(parse(meta.get("lastCommit")))
            : OptionalLong.empty(),
        meta.getOrDefault("head", ""));
  }

  private static long parse(String s) {
    try {
      return s == null ? 0 : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static void createPrivateDirectory(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (FileAlreadyExistsException e) {
      throw new InputException(dir + " exists and is not a directory");
    } catch (IOException e) {
      throw new InputException("cannot create " + dir + ": " + JournalDirectory.reason(e));
    }
  }

  private static void deleteRecursively(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      throw new JournalException(p, "delete", e);
    }
  }
}
