package io.rowguard.cli;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link BadInputFuzz} on PostgreSQL: over a thousand generated bad inputs against a real journal
 * and database, each ending in exit code 2 and one line, nothing changed.
 */
@ExtendWith(PostgresExtension.class)
class MalformedInputIT extends BadInputFuzz {
  PostgresFixture pg;

  @BeforeAll
  void aJournalAndADatabase(PostgresFixture fixture) throws Exception {
    pg = fixture;
    pg.exec(
        "CREATE TABLE acct (id int PRIMARY KEY, owner text, balance numeric(12,2),"
            + " opened date)",
        "ALTER TABLE acct REPLICA IDENTITY FULL",
        "CREATE TABLE line (acct int, n int, note text, PRIMARY KEY (acct, n))",
        "ALTER TABLE line REPLICA IDENTITY FULL",
        "INSERT INTO acct SELECT g, 'o' || g, g * 1.5, DATE '2026-01-01' + g FROM"
            + " generate_series(1, 40) g",
        "INSERT INTO line SELECT g % 40 + 1, g, 'n' FROM generate_series(1, 40) g");
    good = pg.configProperties(dir.resolve("journal"), "public.acct,public.line", "bad");
    config = Cli.writeConfig(dir.resolve("good.properties"), good);
    RowguardConfig cfg = RowguardConfig.load(config);
    try (Journal journal = Journal.openWriter(cfg.journalDir());
        Capture capture = Capture.start(cfg, journal)) {
      pg.awaitStreaming(cfg);
      pg.exec("UPDATE acct SET balance = balance + 1 WHERE id <= 10");
      JournalAwait.entries(journal, 90);
    }
    before();
  }

  @Override
  String tables() throws Exception {
    try (Connection c = pg.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM acct a) ||"
                    + " (SELECT md5(string_agg(l::text, ',' ORDER BY acct, n)) FROM line l)")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
