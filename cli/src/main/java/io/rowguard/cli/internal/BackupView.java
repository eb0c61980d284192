package io.rowguard.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rowguard.core.ValueFormat;
import io.rowguard.journal.BackupInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;

/** Backups as JSON (also the control channel's form) and as a table. */
public final class BackupView {
  private BackupView() {}

  public static ObjectNode json(BackupInfo b) {
    ObjectNode n = Json.NODES.objectNode();
    n.put("id", b.id());
    n.put("created", Instant.ofEpochMilli(b.createdMillis()).toString());
    n.put("createdMillis", b.createdMillis());
    n.put("sizeBytes", b.sizeBytes());
    n.put("files", b.files());
    n.put("lastSeq", b.lastSeq());
    n.put("changes", b.changes());
    if (b.lastCommitMicros().isPresent()) {
      n.put("lastCommit", ValueFormat.instant(b.lastCommitMicros().getAsLong()));
      n.put("lastCommitMicros", b.lastCommitMicros().getAsLong());
    }
    n.put("headHash", b.headHash());
    return n;
  }

  public static BackupInfo fromJson(JsonNode n) {
    return new BackupInfo(
        n.path("id").asInt(),
        n.path("createdMillis").asLong(),
        n.path("sizeBytes").asLong(),
        n.path("files").asInt(),
        n.path("lastSeq").asLong(),
        n.path("changes").asLong(),
        n.has("lastCommitMicros")
            ? OptionalLong.of(n.path("lastCommitMicros").asLong())
            : OptionalLong.empty(),
        n.path("headHash").asText());
  }

  public static void printTable(PrintWriter out, List<BackupInfo> backups) {
    TextTable t =
        new TextTable("ID", "CREATED (UTC)", "SIZE", "FILES", "ENTRIES", "CHANGES", "LAST COMMIT");
    for (BackupInfo b : backups) {
      t.add(
          Integer.toString(b.id()),
          Instant.ofEpochMilli(b.createdMillis()).toString(),
          Bytes.format(b.sizeBytes()),
          Integer.toString(b.files()),
          Long.toString(b.lastSeq()),
          Long.toString(b.changes()),
          b.lastCommitMicros().isPresent()
              ? ValueFormat.instant(b.lastCommitMicros().getAsLong())
              : "-");
    }
    t.print(out);
  }
}
