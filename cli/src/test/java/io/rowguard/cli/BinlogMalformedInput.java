package io.rowguard.cli;

import io.rowguard.connectors.BinlogServer;
import io.rowguard.connectors.Capture;
import io.rowguard.connectors.JournalAwait;
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

/**
 * {@link BadInputFuzz} on MariaDB and MySQL (a subclass each), with the binlog's own bad inputs
 * added: malformed and unknown GTIDs for {@code --before-tx} and {@code --tx}, and a config naming
 * the other kind of server. Each ends in exit code 2 and one line; neither the journal nor the
 * tables change.
 */
abstract class BinlogMalformedInput extends BadInputFuzz {
  BinlogServer db;

  /** GTIDs, malformed or unknown, in this server's notation and the other's. */
  abstract String[] badGtids();

  /** The connector of the other kind of server. */
  abstract String otherConnector();

  /** Called by the subclass's {@code @BeforeAll} with its server. */
  void aJournalAndADatabase(BinlogServer server) throws Exception {
    db = server;
    db.exec(
        "CREATE TABLE shop.acct (id int PRIMARY KEY, owner text, balance decimal(12,2),"
            + " opened date)",
        "CREATE TABLE shop.line (acct int, n int, note text, PRIMARY KEY (acct, n))",
        "INSERT INTO shop.acct VALUES "
            + BinlogServer.rows(
                40,
                i ->
                    i
                        + ", 'o"
                        + i
                        + "', "
                        + i * 1.5
                        + ", DATE '2026-01-01' + INTERVAL "
                        + i
                        + " DAY"),
        "INSERT INTO shop.line VALUES "
            + BinlogServer.rows(40, i -> (i % 40 + 1) + ", " + i + ", 'n'"));
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
    String[] gtids = badGtids();
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
          p.put("source.connector", otherConnector());
          try {
            return new String[] {
              "status", "-c", Cli.writeConfig(dir.resolve("other.properties"), p).toString()
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
        Statement s = c.createStatement()) {
      s.execute("SET SESSION group_concat_max_len = 1048576"); // MySQL's default cuts at 1,024
      try (ResultSet rs =
          s.executeQuery(
              "SELECT CONCAT((SELECT SHA2(GROUP_CONCAT(CONCAT_WS(',', id, owner, balance, opened)"
                  + " ORDER BY id), 256) FROM shop.acct), (SELECT SHA2(GROUP_CONCAT(CONCAT_WS(',',"
                  + " acct, n, note) ORDER BY acct, n), 256) FROM shop.line))")) {
        rs.next();
        return rs.getString(1);
      }
    }
  }
}
