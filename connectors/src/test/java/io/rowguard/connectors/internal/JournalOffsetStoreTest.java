package io.rowguard.connectors.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalOffsetStoreTest {
  private static final ByteBuffer PARTITION = utf8("{\"server\":\"rowguard\"}");

  @TempDir Path dir;

  @Test
  void offsetsAreStoredOnlyWithTheBatchTheyFinish() throws Exception {
    try (Journal journal = Journal.openWriter(dir.resolve("j"))) {
      CaptureSession session = CaptureSession.register(journal);
      JournalOffsetStore store = new JournalOffsetStore(session);
      try (Journal.Batch batch = journal.newBatch()) {
        session.currentBatch(batch);
        store.set(Map.of(PARTITION, utf8("{\"lsn\":100}")), null).get();
        assertThat(batch.isDone()).isTrue();
      } finally {
        session.currentBatch(null);
      }
      assertThat(journal.offsets()).containsEntry(PARTITION, utf8("{\"lsn\":100}"));

      // The consumer is stopped after marking a batch's records processed but before writing it:
      // the batch is dropped, and the engine flushes the marked offsets as it shuts down.
      try (Journal.Batch abandoned = journal.newBatch()) {
        session.currentBatch(abandoned);
      } finally {
        session.currentBatch(null);
      }
      store.set(Map.of(PARTITION, utf8("{\"lsn\":200}")), null).get();

      assertThat(journal.offsets())
          .as("a restart must resume after what was written, not after what was marked")
          .containsEntry(PARTITION, utf8("{\"lsn\":100}"));
      session.unregister();
    }
  }

  private static ByteBuffer utf8(String s) {
    return ByteBuffer.wrap(s.getBytes(UTF_8));
  }
}
