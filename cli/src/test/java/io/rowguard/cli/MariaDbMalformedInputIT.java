package io.rowguard.cli;

import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
import io.rowguard.connectors.MariaDbExtension;
import io.rowguard.connectors.MariaDbFixture;
import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link BadInputFuzz} on MariaDB, with the binlog's own bad inputs added: malformed and unknown
 * GTIDs for {@code --before-tx} and {@code --tx}, and a config naming MySQL for this MariaDB
 * server. Each ends in exit code 2 and one line; neither the journal nor the tables change.
 */
@ExtendWith(MariaDbExtension.class)
class MariaDbMalformedInputIT extends BadInputFuzz {
  MariaDbFixture db;

  @BeforeAll
  void aJournalAndADatabase(MariaDbFixture fixture) throws Exception {
    db = fixture;
    db.exec(
        "CREATE TABLE shop.acct (id int PRIMARY KEY, owner text, balance decimal(12,2),"
            + " opened date)",
        "CREATE TABLE shop.line (acct int, n int, note text, PRIMARY KEY (acct, n))",
        "INSERT INTO shop.acct SELECT seq, CONCAT('o', seq), seq * 1.5,"
            + " DATE '2026-01-01' + INTERVAL seq DAY FROM shop.seq_1_to_40",
        "INSERT INTO shop.line SELECT seq % 40 + 1, seq, 'n' FROM shop.seq_1_to_40");
    good = db.configProperties(dir.resolve("journal"), "shop\\.acct,shop\\.line", 5454);
    config = Cli.writeConfig(dir.resolve("good.properties"), good);
    RowguardConfig cfg = RowguardConfig.load(config);
    try (Journal journal = Journal.openWriter(cfg.journalDir());
        Capture capture = Capture.start(cfg, journal)) {
      JournalAwait.entries(journal, 80);
      db.exec("UPDATE shop.acct SET balance = balance + 1 WHERE id <= 10");
      JournalAwait.caughtUp(cfg, journal);
    }
    before();
  }

  @Override
  List<Supplier<String[]>> generators(Random r) throws Exception {
    List<Supplier<String[]>> g = super.generators(r);
    String c = config.toString();
    String[] gtids = {"0-1-x", "1-2", "0-1-99999999", "gtid", "0--1-5", "0-1-2,0-1-3", "9:9"};
    g.add(
        () ->
            new String[] {
              "rollback",
              "-c",
              c,
              "--table",
              "shop.acct",
              "--before-tx",
              r.nextBoolean() ? pick(r, gtids) : junk(r) + "x",
              "--apply"
            });
    g.add(() -> new String[] {"backout", "-c", c, "--tx", pick(r, gtids), "--apply"});
    g.add(() -> new String[] {"blast-radius", "-c", c, "--tx", pick(r, gtids)});
    g.add(
        () -> {
          Map<String, String> p = new HashMap<>(good);
          p.put("source.connector", "mysql");
          try {
            return new String[] {
              "status", "-c", Cli.writeConfig(dir.resolve("mysql.properties"), p).toString()
            };
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
    return g;
  }

  @Override
  String tables() throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT CONCAT((SELECT MD5(GROUP_CONCAT(CONCAT_WS(',', id, owner, balance, opened)"
                    + " ORDER BY id)) FROM shop.acct), (SELECT MD5(GROUP_CONCAT(CONCAT_WS(',',"
                    + " acct, n, note) ORDER BY acct, n)) FROM shop.line))")) {
      rs.next();
      return rs.getString(1);
    }
  }
}
