package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.RowguardConfig;
import io.rowguard.journal.Journal;
import io.rowguard.journal.VerifyReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over a thousand generated bad inputs (config files, keys, times, table names, flags) against a
 * real journal and database: every one ends with exit code 2 and one line on stderr saying what is
 * wrong, never a stack trace, and neither the journal nor the database changes. A subclass per
 * database sets up the journal, the database and the good config ({@code acct} and {@code line}
 * tables) in a {@code @BeforeAll} method.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BadInputFuzz {
  @TempDir static Path dir;
  Path config;
  Map<String, String> good;
  private VerifyReport journalBefore;
  private String tableBefore;

  /** A digest of the database's acct and line tables, to see that nothing changed them. */
  abstract String tables() throws Exception;

  /** Records the journal's head and the tables, once {@link #config} is written. */
  void before() throws Exception {
    try (Journal j = Journal.openReader(RowguardConfig.load(config).journalDir())) {
      journalBefore = j.verify(Journal.Progress.NONE);
    }
    tableBefore = tables();
  }

  @AfterAll
  void nothingChanged() throws Exception {
    try (Journal j = Journal.openReader(RowguardConfig.load(config).journalDir())) {
      VerifyReport after = j.verify(Journal.Progress.NONE);
      assertThat(after.ok()).isTrue();
      assertThat(after.headSeq()).isEqualTo(journalBefore.headSeq());
      assertThat(after.headHash()).isEqualTo(journalBefore.headHash());
    }
    assertThat(tables()).as("the database").isEqualTo(tableBefore);
  }

  @Test
  void everyBadInputEndsInOneLineAndExitCodeTwo() throws Exception {
    long seed = Long.getLong("rowguard.fuzz.seed", System.nanoTime());
    Random random = new Random(seed);
    List<Supplier<String[]>> generators = generators(random);
    int cases = Integer.getInteger("rowguard.fuzz.cases", 1_200);
    Map<String, Integer> byKind = new LinkedHashMap<>();
    for (int i = 0; i < cases; i++) {
      int g = random.nextInt(generators.size());
      String[] args = generators.get(g).get();
      Cli.Result r = Cli.run(args);
      String what = "seed " + seed + ", case " + i + ": rowguard " + String.join(" ", args);
      assertThat(r.exit()).as("%s\n%s", what, r.err()).isEqualTo(2);
      assertThat(r.out()).as(what).isEmpty();
      List<String> lines = r.err().strip().lines().toList();
      assertThat(lines).as(what).isNotEmpty();
      assertThat(lines.get(0)).as(what).startsWith("rowguard: ");
      assertThat(lines.size() == 1 || lines.get(1).startsWith("Try 'rowguard"))
          .as("%s: one line, or the usage hint after it:\n%s", what, r.err())
          .isTrue();
      assertThat(r.err()).as(what).doesNotContain("Exception").doesNotContain("\tat ");
      byKind.merge(args[0], 1, Integer::sum);
    }
    assertThat(byKind.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(cases);
  }

  // ---------------------------------------------------------------- generators

  static final String[] JUNK = {
    "",
    "@/", // picocli's argument files: a value, not a file to read
    "@no-such-file",
    " ",
    "'",
    "\"",
    "\"unterminated",
    "a\"b",
    "..",
    ".",
    "x.",
    ".x",
    "\\",
    "💥",
    "\u0000",
    "null",
    "-1",
    "NaN",
    "1e99",
    "99999999999999999999",
    "true",
    "--",
    "=",
    ",",
    "a=b=c",
    "%s",
    "${env:NOPE}",
    "../../etc/passwd",
    "ÄÖÜ",
    "\t",
    "2026-13-45T99:99:99Z",
    "0",
    "id=",
    "=1"
  };

  static String junk(Random r) {
    if (r.nextInt(3) == 0) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + r.nextInt(12);
      for (int i = 0; i < n; i++) {
        sb.append((char) (0x20 + r.nextInt(0x5f)));
      }
      return sb.toString();
    }
    return JUNK[r.nextInt(JUNK.length)];
  }

  /** Not a time at all. */
  static String malformedTime(Random r) {
    String[] times = {
      "yesterday",
      "2026-11-24",
      "2026-11-24T10:00",
      "24/11/2026",
      "2026-11-24T10:00:00+25:00",
      "2026-11-24T10:00:00.9999999999Z",
      "now",
      "1732000000",
      "2026-02-30T00:00:00Z"
    };
    return r.nextBoolean() ? times[r.nextInt(times.length)] : junk(r);
  }

  /** Not a time, or one no rollback can go to: before the journal, or in the future. */
  static String badTime(Random r) {
    String[] times = {
      "1999-01-01T00:00:00Z",
      "2999-01-01T00:00:00Z",
      "+999999999-12-31T23:59:59Z",
      "-999999999-01-01T00:00:00Z"
    };
    return r.nextBoolean() ? times[r.nextInt(times.length)] : malformedTime(r);
  }

  static String badKey(Random r) {
    String[] keys = {
      "abc",
      "1.5",
      "id=x",
      "owner=1",
      "acct=1",
      "acct=1,n=x",
      "acct=1,n=1,n=2",
      "n=1",
      "1,2",
      "acct=1,x=2",
      "999999",
      "id=1,",
      "9999999999999",
      "-",
      "acct=",
      "=",
      ""
    };
    String k = r.nextBoolean() ? keys[r.nextInt(keys.length)] : junk(r);
    // never a key that exists: bad input only
    return k.strip().matches("\\+?0*([1-9]|[1-3][0-9]|40)") ? "abc" : k;
  }

  static String badTable(Random r) {
    String[] tables = {
      "nope",
      "public.nope",
      "\"acct",
      "a.b.c",
      "",
      ".",
      "ACCT_X",
      "pg_catalog.pg_class",
      "\"public\".\"nope\"",
      "line.acct"
    };
    return r.nextBoolean() ? tables[r.nextInt(tables.length)] : junk(r);
  }

  List<Supplier<String[]>> generators(Random r) throws Exception {
    String c = config.toString();
    List<Supplier<String[]>> g = new ArrayList<>();
    // configs
    g.add(
        () -> {
          String bad = badConfig(r);
          return switch (r.nextInt(6)) {
            case 0 -> new String[] {"status", "-c", bad};
            case 1 -> new String[] {"history", "-c", bad, "--table", "acct", "--key", "1"};
            case 2 -> new String[] {"audit", "-c", bad};
            case 3 -> new String[] {"verify", "-c", bad};
            case 4 -> new String[] {"incidents", "-c", bad, "--since", "2026-01-01T00:00:00Z"};
            default -> new String[] {"capture", "-c", bad};
          };
        });
    // keys
    g.add(
        () ->
            new String[] {
              "history", "-c", c, "--table", pick(r, "acct", "line"), "--key", badKey(r)
            });
    g.add(
        () ->
            new String[] {
              "rollback",
              "-c",
              c,
              "--table",
              pick(r, "acct", "line"),
              "--key",
              badKey(r),
              "--to",
              "2026-11-24T10:00:00Z",
              "--apply"
            });
    // times
    g.add(
        () -> new String[] {"rollback", "-c", c, "--table", "acct", "--to", badTime(r), "--apply"});
    g.add(() -> new String[] {"export", "-c", c, "--table", "acct", "--as-of", badTime(r)});
    g.add(() -> new String[] {"audit", "-c", c, pick(r, "--since", "--until"), malformedTime(r)});
    g.add(() -> new String[] {"incidents", "-c", c, "--since", malformedTime(r)});
    // tables
    g.add(
        () -> {
          String t = badTable(r);
          return switch (r.nextInt(4)) {
            case 0 -> new String[] {"history", "-c", c, "--table", t, "--key", "1"};
            case 1 -> new String[] {"audit", "-c", c, "--table", t};
            case 2 ->
                new String[] {"export", "-c", c, "--table", t, "--as-of", "2026-11-24T10:00:00Z"};
            default ->
                new String[] {"rollback", "-c", c, "--table", t, "--to", "2026-11-24T10:00:00Z"};
          };
        });
    // flags
    g.add(
        () ->
            new String[] {
              pick(
                  r,
                  "audit",
                  "history",
                  "status",
                  "verify",
                  "backups",
                  "rollback",
                  "backout",
                  "incidents",
                  "blast-radius",
                  "export"),
              "-c",
              c,
              // "zz": no flag starts so; random letters alone once made "--tx", a real flag
              "--zz" + junk(r).replaceAll("[^a-z]", "") + "x",
              "1"
            });
    g.add(
        () ->
            new String[] {
              "audit", "-c", c, "--limit", pick(r, "-1", "abc", "", "1e3", "99999999999")
            });
    g.add(() -> new String[] {"audit", "-c", c, "--before", pick(r, "0", "-5", "x")});
    g.add(() -> new String[] {"audit", "-c", c, "--json", "--csv"});
    g.add(() -> new String[] {"audit", "-c", c, "--actor", "a", "--unattributed"});
    g.add(
        () ->
            new String[] {
              "export",
              "-c",
              c,
              "--table",
              "acct",
              "--as-of",
              "2026-11-24T10:00:00Z",
              "--format",
              junk(r) + "x"
            });
    g.add(
        () ->
            new String[] {
              "rollback",
              "-c",
              c,
              "--table",
              "acct",
              "--to",
              "2026-11-24T10:00:00Z",
              "--on-conflict",
              junk(r) + "x",
              "--apply"
            });
    g.add(
        () ->
            new String[] {
              "backout",
              "-c",
              c,
              "--tx",
              pick(r, "abc", "-1", "", "99999999", "x" + junk(r)),
              "--apply"
            });
    g.add(
        () ->
            new String[] {
              "blast-radius", "-c", c, "--tx", pick(r, "abc", "-1", "99999999", "x" + junk(r))
            });
    g.add(
        () ->
            new String[] {
              "incidents",
              "-c",
              c,
              "--since",
              "2026-01-01T00:00:00Z",
              "--baseline",
              pick(r, "-3d", "0", "forever", "3x", junk(r))
            });
    g.add(
        () ->
            new String[] {
              "incidents",
              "-c",
              c,
              "--since",
              "2026-01-01T00:00:00Z",
              "--limit",
              pick(r, "0", "-2", "many")
            });
    g.add(
        () ->
            new String[] {
              "restore",
              "-c",
              c,
              "--from",
              dir.resolve("nowhere").toString(),
              "--backup-id",
              pick(r, "0", "-1", "x", "7")
            });
    g.add(() -> new String[] {"backups", "-c", c, "--from", dir.resolve("nothing").toString()});
    g.add(
        () ->
            new String[] {
              pick(
                  r,
                  "audit",
                  "history",
                  "rollback",
                  "backout",
                  "export",
                  "incidents",
                  "blast-radius",
                  "verify",
                  "backup",
                  "restore",
                  "backups",
                  "status")
            });
    g.add(() -> new String[] {"x" + junk(r) + "cmd"});
    return g;
  }

  static String pick(Random r, String... options) {
    return options[r.nextInt(options.length)];
  }

  /** A config file with one thing wrong with it. */
  String badConfig(Random r) {
    Map<String, String> p = new HashMap<>(good);
    String text = null;
    switch (r.nextInt(14)) {
      case 0 -> p.put("jurnal.dir" + r.nextInt(9), "/tmp/x");
      case 1 -> p.put("source.database.port", pick(r, "0", "70000", "port", "-1", "5432x"));
      case 2 ->
          // a key every config needs (PostgreSQL's also need the database's name)
          p.remove(
              pick(
                  r,
                  "journal.dir",
                  "source.connector",
                  "source.database.hostname",
                  "source.database.user",
                  good.containsKey("source.database.dbname")
                      ? "source.database.dbname"
                      : "source.database.user"));
      case 3 -> p.put("journal.retention", pick(r, "30", "-3d", "0d", "forever", "3 weeks"));
      case 4 -> p.put("guard.max-rows." + pick(r, "acct", "*"), pick(r, "-5", "x", "", "1.5"));
      case 5 -> p.put("guard.webhook.url", pick(r, "ftp://x", "not a url", "http://", "//h"));
      case 6 -> p.put("guard.protected-tables", pick(r, "\"acct", "a.b.c", ".", "x.\"y"));
      case 7 -> p.put("audit.actor-column." + pick(r, "\"x", "a.b.c", "."), "updated_by");
      case 8 -> p.put("capture.fix-replica-identity", pick(r, "yes", "1", "TRUE!", ""));
      case 9 -> p.put("source.connector", pick(r, "oracle", "pg", "", "mongodb"));
      case 10 -> p.put("journal.dir", "${env:ROWGUARD_FUZZ_UNSET}/j");
      case 11 -> text = junk(r) + "\n\u0000\u0001binary" + junk(r) + "\n=\n";
      case 12 -> {
        return dir.resolve("missing-" + r.nextInt(100) + ".properties").toString();
      }
      default -> {
        return dir.toString(); // a directory, not a file
      }
    }
    try {
      Path f = dir.resolve("bad-" + System.nanoTime() + ".properties");
      if (text != null) {
        // bytes, not necessarily valid UTF-8; a character Latin-1 lacks becomes '?'
        Files.write(f, text.getBytes(StandardCharsets.ISO_8859_1));
        return f.toString();
      }
      return Cli.writeConfig(f, p).toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
