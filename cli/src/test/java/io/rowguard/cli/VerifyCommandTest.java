package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.ChangeEvent;
import io.rowguard.core.Column;
import io.rowguard.core.Op;
import io.rowguard.core.Row;
import io.rowguard.core.TableId;
import io.rowguard.core.TableSchema;
import io.rowguard.core.ValueSchema;
import io.rowguard.core.ValueType;
import io.rowguard.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

/** `rowguard verify` on a journal changed behind its back: one line naming the entry, exit 1. */
class VerifyCommandTest {
  static final TableSchema SCHEMA =
      new TableSchema(
          TableId.of("public", "orders"),
          List.of(
              new Column("id", ValueSchema.of(ValueType.INT32)),
              new Column("status", ValueSchema.of(ValueType.STRING))),
          List.of("id"));

  @TempDir Path dir;

  @Test
  void anIntactJournalVerifiesAndAnAlteredOneNamesTheEntry() throws Exception {
    Path journalDir = dir.resolve("journal");
    try (Journal j = Journal.openWriter(journalDir)) {
      for (int i = 1; i <= 20; i++) {
        try (Journal.Batch b = j.newBatch()) {
          b.append(
              new ChangeEvent(
                  SCHEMA,
                  Op.INSERT,
                  null,
                  Row.of(SCHEMA, i, "paid"),
                  1_800_000_000_000_000L + i,
                  Integer.toString(100 + i),
                  "0/" + i,
                  0));
          b.markCommitted();
          b.putOffsets(
              Map.of(
                  ByteBuffer.wrap("p".getBytes(StandardCharsets.UTF_8)),
                  ByteBuffer.wrap(("o" + i).getBytes(StandardCharsets.UTF_8))));
          b.commit();
        }
      }
    }
    Path config = dir.resolve("v.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "source.connector=postgres",
            "source.database.hostname=127.0.0.1",
            "source.database.user=guard",
            "source.database.password=${env:UNSET_FOR_THIS_TEST}",
            "source.database.dbname=shop",
            "journal.dir=" + journalDir));

    Cli.Result intact = Cli.ok("verify", "-c", config.toString());
    assertThat(intact.out()).contains("verified 22 entries (20 changes"); // and two registrations

    alter(journalDir, 15); // row 13 (entries 1 and 2 register the table and its schema)
    Cli.Result altered = Cli.run("verify", "-c", config.toString());
    assertThat(altered.exit()).isEqualTo(1);
    assertThat(altered.out()).isEmpty();
    assertThat(altered.err().strip())
        .startsWith(
            "rowguard: journal " + journalDir + " is not intact: entry 15 (public.orders key 13,")
        .contains("committed 2027-01-15T08:00:00.000013Z")
        .contains("does not match the hash chain")
        .doesNotContain("\n");

    Cli.Result json = Cli.run("verify", "-c", config.toString(), "--json");
    assertThat(json.exit()).isEqualTo(1);
    assertThat(json.out()).contains("\"ok\" : false").contains("\"seq\" : 15");
  }

  /** Rewrites entry {@code seq}'s status from "paid" to "PAID", leaving its hash as it was. */
  static void alter(Path journalDir, long seq) throws Exception {
    List<ColumnFamilyDescriptor> d = new ArrayList<>();
    for (String f :
        List.of("default", "log", "rows", "time", "tx", "schemas", "offsets", "txinfo", "actors")) {
      d.add(new ColumnFamilyDescriptor(f.getBytes(StandardCharsets.UTF_8)));
    }
    List<ColumnFamilyHandle> h = new ArrayList<>();
    try (DBOptions o = new DBOptions();
        RocksDB db = RocksDB.open(o, journalDir.toString(), d, h)) {
      byte[] key = ByteBuffer.allocate(8).putLong(seq).array();
      byte[] v = db.get(h.get(1), key);
      String s = new String(v, StandardCharsets.ISO_8859_1).replace("paid", "PAID");
      db.put(h.get(1), key, s.getBytes(StandardCharsets.ISO_8859_1));
      h.forEach(ColumnFamilyHandle::close);
    }
  }
}
