package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.commit;
import static io.rowguard.journal.JournalTest.insert;
import static io.rowguard.journal.JournalTest.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalBackupsTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-24T12:00:00Z"), ZoneOffset.UTC);

  @TempDir Path tmp;

  @Test
  void backupsWhileTheWriterWritesRestoreToAVerifiedJournal() throws Exception {
    Path journalDir = tmp.resolve("journal");
    Path backups = tmp.resolve("backups");
    AtomicInteger written = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    BackupInfo first;
    BackupInfo second;
    try (Journal j = Journal.openWriter(journalDir)) {
      Thread writer =
          new Thread(
              () -> {
                while (!stop.get()) {
                  int n = written.incrementAndGet();
                  commit(j, "o" + n, insert(n, "s" + n, "tx" + n));
                }
              });
      writer.start();
      while (written.get() < 200) {
        Thread.sleep(5);
      }
      first = JournalBackups.backup(j, backups);
      while (written.get() < 400) {
        Thread.sleep(5);
      }
      second = JournalBackups.backup(j, backups);
      stop.set(true);
      writer.join();
    }
    assertThat(Files.getPosixFilePermissions(backups))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    List<BackupInfo> listed = JournalBackups.list(backups);
    assertThat(listed).extracting(BackupInfo::id).containsExactly(first.id(), second.id());
    assertThat(second.lastSeq()).isGreaterThanOrEqualTo(first.lastSeq()).isGreaterThan(0);
    assertThat(first.headHash()).hasSize(64);

    RestoreResult restored =
        JournalBackups.restore(backups, OptionalInt.of(first.id()), journalDir, CLOCK);
    assertThat(restored.verified().ok()).isTrue();
    assertThat(restored.previous()).isPresent();
    assertThat(restored.previous().get().getFileName().toString())
        .isEqualTo("journal.before-restore-20261124T120000Z");
    try (Journal r = Journal.openReader(journalDir)) {
      long n = r.changeCount(); // row n is the n-th change
      assertThat(r.lastSeq()).isGreaterThanOrEqualTo(first.lastSeq());
      assertThat(n).isGreaterThanOrEqualTo(first.changes()).isLessThan(written.get());
      assertThat(r.history(ORDERS, key((int) n))).hasSize(1);
      assertThat(r.history(ORDERS, key((int) n + 1))).isEmpty();
    }
    try (Journal old = Journal.openReader(restored.previous().get())) {
      assertThat(old.lastSeq()).isGreaterThan(second.lastSeq() - 1);
    }
  }

  @Test
  void aDamagedJournalCanBeRestoredAndAnInterruptedRestoreIsFinished() throws Exception {
    Path journalDir = tmp.resolve("journal");
    Path backups = tmp.resolve("backups");
    try (Journal j = Journal.openWriter(journalDir)) {
      commit(j, "a", insert(1, "new", "1"));
      commit(j, "b", insert(2, "new", "2"));
      JournalBackups.backup(j, backups);
    }
    long watermark;
    try (Journal r = Journal.openReader(journalDir)) {
      watermark = r.lastSeq();
    }
    try (RawJournal raw = new RawJournal(journalDir)) {
      raw.delete("log", io.rowguard.journal.internal.Keys.seq(watermark)); // the watermark's record
    }
    assertThatThrownBy(() -> Journal.openWriter(journalDir).close())
        .isInstanceOf(JournalException.class);
    RestoreResult r = JournalBackups.restore(backups, OptionalInt.empty(), journalDir, CLOCK);
    assertThat(r.verified().ok()).isTrue();

    // a crash between the two moves of a restore: the journal's place is empty
    Path staging = tmp.resolve("journal.restoring");
    java.nio.file.Files.move(journalDir, staging);
    java.nio.file.Files.writeString(staging.resolve("RESTORED"), "backup 1");
    try (Journal j = Journal.openWriter(journalDir)) {
      assertThat(j.history(ORDERS, key(2))).hasSize(1);
    }
    assertThat(java.nio.file.Files.exists(staging)).isFalse();
    assertThat(java.nio.file.Files.exists(journalDir.resolve("RESTORED"))).isFalse();
  }

  @Test
  void aRestoreIsRefusedWhileTheJournalIsInUseAndNothingChanges() throws Exception {
    Path journalDir = tmp.resolve("journal");
    Path backups = tmp.resolve("backups");
    try (Journal j = Journal.openWriter(journalDir)) {
      commit(j, "a", insert(1, "new", "1"));
      JournalBackups.backup(j, backups);
      commit(j, "b", insert(2, "new", "2"));
      assertThatThrownBy(
              () -> JournalBackups.restore(backups, OptionalInt.empty(), journalDir, CLOCK))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("in use");
      assertThatThrownBy(
              () -> JournalBackups.restore(backups, OptionalInt.of(7), journalDir, CLOCK))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("no backup 7")
          .hasMessageContaining("backups: 1");
      assertThat(j.changeCount()).isEqualTo(2);
    }
    assertThat(Files.exists(tmp.resolve("journal.restoring"))).isFalse();
    assertThatThrownBy(() -> JournalBackups.list(tmp.resolve("nowhere")))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("no journal backups");
  }
}
