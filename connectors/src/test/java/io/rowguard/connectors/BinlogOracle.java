package io.rowguard.connectors;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a MariaDB or MySQL server committed, read independently of Debezium: its own {@code
 * mariadb-binlog} or {@code mysqlbinlog --verbose} decoding of the binlog files from a position on.
 * Changes come as "gtid table op id" lines, in binlog order, as {@link ChangeOracle#journaled}
 * writes the journal's.
 */
public final class BinlogOracle {
  /** MariaDB's "GTID 0-1-5", MySQL's "SET @@SESSION.GTID_NEXT= 'uuid:5'". */
  private static final Pattern GTID =
      Pattern.compile("\\bGTID (\\d+-\\d+-\\d+)\\b|GTID_NEXT= '([0-9a-f-]{36}:\\d+)'");

  private static final Pattern ROW =
      Pattern.compile("^### (INSERT INTO|UPDATE|DELETE FROM) `[^`]+`\\.`([^`]+)`$");
  private static final Pattern FIRST_COLUMN = Pattern.compile("^###\\s+@1=(-?\\d+)");

  private final BinlogServer db;
  private final String file;
  private final long position;

  private BinlogOracle(BinlogServer db, String file, long position) {
    this.db = db;
    this.file = file;
    this.position = position;
  }

  /** Starts recording: every change committed from now on. */
  public static BinlogOracle start(BinlogServer db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      ResultSet status;
      try {
        status = s.executeQuery("SHOW BINARY LOG STATUS"); // MySQL 8.2 and later
      } catch (java.sql.SQLException e) {
        status = s.executeQuery("SHOW MASTER STATUS");
      }
      try (ResultSet rs = status) {
        rs.next();
        return new BinlogOracle(db, rs.getString(1), rs.getLong(2));
      }
    }
  }

  /** The committed changes of tables named {@code prefix...} since the start, in binlog order. */
  public List<String> changes(String prefix) throws Exception {
    List<String> files = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
      while (rs.next()) {
        if (rs.getString(1).compareTo(file) >= 0) {
          files.add(rs.getString(1));
        }
      }
    }
    List<String> cmd = db.decodeBinlog(files, position);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    String gtid = "";
    String table = null;
    String op = null;
    boolean afterSet = false;
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        Matcher g = GTID.matcher(line);
        if (!line.startsWith("###") && g.find()) {
          gtid = g.group(1) != null ? g.group(1) : g.group(2);
          continue;
        }
        Matcher row = ROW.matcher(line);
        if (row.matches()) {
          table = row.group(2);
          op =
              switch (row.group(1)) {
                case "INSERT INTO" -> "INSERT";
                case "UPDATE" -> "UPDATE";
                default -> "DELETE";
              };
          afterSet = false;
          continue;
        }
        if (op == null) {
          continue;
        }
        if (line.equals("### SET")) {
          afterSet = true;
          continue;
        }
        Matcher id = FIRST_COLUMN.matcher(line);
        // an update's row is the new one: its id after SET
        if (id.find() && (!op.equals("UPDATE") || afterSet)) {
          if (table.startsWith(prefix)) {
            out.add(gtid + " " + table + " " + op + " " + id.group(1));
          }
          op = null;
        }
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError(cmd.get(0) + " failed with " + p.exitValue());
    }
    return out;
  }
}
