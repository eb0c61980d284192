package io.rowguard.journal;

import static io.rowguard.journal.JournalTest.ORDERS;
import static io.rowguard.journal.JournalTest.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A byte flipped in a journal file on disk (a bad sector, a bit flip): reads and verify report the
 * corruption naming the file, and never return a wrong value.
 */
class CorruptionTest {
  @TempDir Path dir;

  /** A journal whose log lives in one compacted table file; returns that file. */
  static Path journalOnDisk(Path dir) throws Exception {
    try (Journal j = Journal.openWriter(dir)) {
      JournalIntegrityTest.fill(j, 300, new Random(1));
      j.compact();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".sst"))
          .max(Comparator.comparingLong(p -> p.toFile().length()))
          .orElseThrow();
    }
  }

  static void flip(Path file, long offset) throws Exception {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x40);
    }
  }

  @Test
  void aFlippedByteIsReportedWithTheFileNamed() throws Exception {
    Path sst = journalOnDisk(dir);
    flip(sst, sst.toFile().length() / 3); // inside a data block
    String name = sst.getFileName().toString();
    try (Journal r = Journal.openReader(dir)) {
      VerifyReport report = r.verify(Journal.Progress.NONE);
      assertThat(report.ok()).isFalse();
      assertThat(report.problem().get().describe()).contains(name).containsIgnoringCase("corrupt");
      assertThatThrownBy(
              () -> {
                for (int id = 1; id <= 600; id++) {
                  r.history(ORDERS, key(id));
                }
              })
          .isInstanceOf(JournalException.class)
          .hasMessageContaining(name);
    } catch (JournalException openFailed) {
      // the flip hit the file's index or footer: opening says so
      assertThat(openFailed).hasMessageContaining(name);
    }
  }

  /** Wherever the flip lands, nothing reads back silently wrong. */
  @Property(tries = 15)
  void wherever(@ForAll long seed) throws Exception {
    Path d = Files.createTempDirectory("rowguard-corrupt-");
    try {
      Path sst = journalOnDisk(d);
      VerifyReport before;
      try (Journal r = Journal.openReader(d)) {
        before = r.verify(Journal.Progress.NONE);
      }
      long at = Math.floorMod(seed, sst.toFile().length());
      flip(sst, at);
      try (Journal r = Journal.openReader(d)) {
        VerifyReport after = r.verify(Journal.Progress.NONE);
        if (after.ok()) {
          // the flip hit bytes nothing reads (padding, statistics): everything is as it was
          assertThat(after.headHash()).isEqualTo(before.headHash());
          assertThat(after.records()).isEqualTo(before.records());
        } else {
          assertThat(after.problem().get().describe())
              .as("flip at %d", at)
              .contains(sst.getFileName().toString());
        }
      } catch (JournalException e) {
        assertThat(e).hasMessageContaining(sst.getFileName().toString());
      }
    } finally {
      RetentionTest.deleteTree(d);
    }
  }
}
