package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.rowguard.connectors.PostgresExtension;
import io.rowguard.connectors.PostgresFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command as users run it: from the shaded jar, each in a fresh JVM (so nothing another
 * command loaded first, such as RocksDB's native library, hides a failure), with secrets in the
 * environment, and as a user who may not read the journal.
 */
@ExtendWith(PostgresExtension.class)
class ShadedJarIT {
  static final Path JAR = Path.of("target", "rowguard.jar").toAbsolutePath();
  static final String SECRET = "hunter2-not-for-help-texts";
  static PostgresFixture pg;

  @TempDir Path dir;

  @BeforeAll
  static void start(PostgresFixture fixture) {
    assertThat(JAR).as("the shaded jar is built in the package phase").exists();
    pg = fixture;
    TestLogs.secret(SECRET);
  }

  record Run(int exit, String out, String err) {}

  static Run jar(Map<String, String> env, List<String> prefix, String... args) throws Exception {
    return java(env, prefix, List.of("-jar", JAR.toString()), args);
  }

  /** Runs {@code java -Xmx256m <jvm> <args>}, {@code prefix} before it (nice, env). */
  static Run java(Map<String, String> env, List<String> prefix, List<String> jvm, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.addAll(jvm);
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    Path out = Files.createTempFile("rowguard-out", ".txt");
    Path err = Files.createTempFile("rowguard-err", ".txt");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process p = pb.start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", String.join(" ", args)).isTrue();
    Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    TestLogs.record("jar-commands.err", r.err());
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  static Run jar(String... args) throws Exception {
    return jar(Map.of(), List.of(), args);
  }

  static Run ok(String... args) throws Exception {
    Run r = jar(args);
    assertThat(r.exit()).as("%s: %s", String.join(" ", args), r.err()).isZero();
    return r;
  }

  @Test
  void everyHelpTextShowsPlaceholdersNotTheSecretsTheyName() throws Exception {
    Map<String, String> env =
        Map.of(
            "GUARD_DB_PASSWORD", SECRET,
            "HOOK_TOKEN", SECRET,
            "ROWGUARD_DEMO_PASSWORD", SECRET);
    List<String> commands =
        new ArrayList<>(new CommandLine(new RowguardCommand()).getSubcommands().keySet());
    commands.add(""); // the top-level help
    for (String command : commands) {
      List<String> args = new ArrayList<>();
      if (!command.isEmpty()) {
        args.add(command);
      }
      args.add("--help");
      Run r = jar(env, List.of(), args.toArray(String[]::new));
      assertThat(r.exit()).as("%s --help: %s", command, r.err()).isZero();
      assertThat(r.out() + r.err())
          .as("%s --help", command)
          .doesNotContain(SECRET)
          .doesNotContain("=null");
    }
    Run version = jar(env, List.of(), "--version");
    assertThat(version.exit()).as("--version: %s", version.err()).isZero();
    assertThat(version.out())
        .containsPattern("rowguard \\d+\\.\\d+")
        .containsPattern("Debezium 3\\.\\d+\\.\\d+\\.Final")
        .containsPattern("RocksDB \\d+\\.\\d+\\.\\d+")
        .containsPattern("Kafka client \\d+\\.\\d+\\.\\d+")
        .contains("Java " + Runtime.version().feature());
    Run capture = jar(env, List.of(), "capture", "--help");
    assertThat(capture.out())
        .contains("source.database.password=${env:GUARD_DB_PASSWORD}")
        .contains("Bearer ${env:HOOK_TOKEN}");
  }

  @Test
  void everyCommandWorksFromTheJarInAFreshJvm() throws Exception {
    pg.exec(
        "CREATE TABLE jar_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE jar_t REPLICA IDENTITY FULL",
        "INSERT INTO jar_t SELECT g, 'v' || g FROM generate_series(1, 10) g");
    Map<String, String> props = pg.configProperties(dir.resolve("journal"), "public.jar_t", "jar");
    Path config = Cli.writeConfig(dir.resolve("jar.properties"), props);
    String c = config.toString();
    Process capture = startFromJar(dir.resolve("capture.log"), "capture", "-c", c);
    Path journal = dir.resolve("journal");
    Path socket = journal.resolve("control.sock");
    Instant before;
    try {
      awaitStatus(c, 10);
      before = Instant.now();
      Thread.sleep(20);
      pg.exec("UPDATE jar_t SET v = 'broken'", "TRUNCATE jar_t");
      awaitStatus(c, 30);
      assertThat(socket).exists();
      assertThat(ok("history", "-c", c, "--table", "jar_t", "--key", "3").out())
          .contains("snapshot")
          .contains("truncate");
      assertThat(ok("audit", "-c", c, "--table", "jar_t").out()).contains("truncate");
      assertThat(ok("incidents", "-c", c, "--since", "1h").out()).contains("jar_t");
      JsonNode status = new ObjectMapper().readTree(ok("status", "-c", c, "--json").out());
      assertThat(status.get("database").get("retainedBytes").asLong())
          .isGreaterThanOrEqualTo(status.get("database").get("lagBytes").asLong());
      assertThat(ok("verify", "-c", c).out()).contains("intact").contains("complete: no gap");
      String tx = firstTx(ok("audit", "-c", c, "--table", "jar_t", "--json").out());
      assertThat(ok("blast-radius", "-c", c, "--tx", tx).out()).contains("jar_t");
      assertThat(ok("export", "-c", c, "--table", "jar_t", "--as-of", before.toString()).out())
          .contains("v3");
      assertThat(ok("rollback", "-c", c, "--table", "jar_t", "--to", before.toString()).out())
          .contains("to insert");
      assertThat(ok("backout", "-c", c, "--tx", tx).out()).contains("plan");
      ok("backup", "-c", c, "--to", dir.resolve("backups").toString());
      serveAnswers(dir, props);
      assertThat(jar("teardown", "-c", c).exit()).as("teardown while capture runs").isEqualTo(2);
    } finally {
      capture.destroy(); // SIGTERM
      assertThat(capture.waitFor(60, TimeUnit.SECONDS)).as("capture stops on SIGTERM").isTrue();
    }
    assertThat(capture.exitValue()).isZero();
    assertThat(socket).as("a clean stop removes the control socket").doesNotExist();
    String log = Files.readString(dir.resolve("capture.log"));
    assertThat(log).doesNotContain("ERROR").doesNotContain("Exception");
    assertThat(ok("backups", "-c", c, "--from", dir.resolve("backups").toString()).out())
        .contains("ID");
    assertThat(ok("restore", "-c", c, "--from", dir.resolve("backups").toString()).out())
        .contains("restored backup 1");
    assertThat(ok("teardown", "-c", c).out()).contains("drop     slot").contains("rg_jar");
    assertThat(ok("teardown", "-c", c, "--apply").out()).contains("dropped  slot");
    assertThat(ok("teardown", "-c", c).out()).contains("nothing to drop");
  }

  /** `serve` beside the running capture: the API answers with the token, and SIGTERM stops it. */
  static void serveAnswers(Path dir, Map<String, String> props) throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Map<String, String> served = new java.util.HashMap<>(props);
    served.put("serve.listen", "127.0.0.1:" + port);
    Path config = Cli.writeConfig(dir.resolve("serve.properties"), served);
    Process serve = startFromJar(dir.resolve("serve.log"), "serve", "-c", config.toString());
    try {
      Path tokenFile = dir.resolve("journal").resolve("serve.token");
      boolean noted = false;
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
      int status = 0;
      while (status != 200) {
        assertThat(System.nanoTime())
            .as(() -> text(readQuietly(dir.resolve("serve.log"))))
            .isLessThan(deadline);
        Thread.sleep(200);
        if (!Files.exists(tokenFile)) {
          continue;
        }
        if (!noted) {
          TestLogs.secret(Files.readString(tokenFile).strip());
          noted = true;
        }
        try {
          status =
              http.send(
                      java.net.http.HttpRequest.newBuilder(
                              java.net.URI.create("http://127.0.0.1:" + port + "/api/status"))
                          .header("Authorization", "Bearer " + Files.readString(tokenFile).strip())
                          .build(),
                      java.net.http.HttpResponse.BodyHandlers.discarding())
                  .statusCode();
        } catch (java.io.IOException notYet) {
          status = 0;
        }
      }
    } finally {
      serve.destroy();
      assertThat(serve.waitFor(30, TimeUnit.SECONDS)).as("serve stops on SIGTERM").isTrue();
    }
    assertThat(serve.exitValue()).isZero();
  }

  private static byte[] readQuietly(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (java.io.IOException e) {
      return new byte[0];
    }
  }

  /**
   * With --log-format json every line capture writes to stderr is one JSON object a log shipper
   * reads (Elastic Common Schema), what the binlog client and Debezium log included; the database
   * password never appears.
   */
  @Test
  void logLinesAreJsonObjectsWithLogFormatJson() throws Exception {
    pg.exec(
        "CREATE TABLE json_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE json_t REPLICA IDENTITY FULL",
        "INSERT INTO json_t VALUES (1, 'a')");
    Map<String, String> props =
        pg.configProperties(dir.resolve("jsonlog"), "public.json_t", "jsonlog");
    props.put("source.database.password", SECRET);
    String c = Cli.writeConfig(dir.resolve("jsonlog.properties"), props).toString();
    Path log = dir.resolve("jsonlog.log");
    Process capture = startFromJar(log, "--log-format", "json", "capture", "-c", c);
    try {
      awaitStatus(c, 1);
      pg.exec("UPDATE json_t SET v = 'b'");
      awaitStatus(c, 2);
    } finally {
      capture.destroy();
      assertThat(capture.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    List<String> lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      JsonNode event = json.readTree(line);
      assertThat(event.isObject()).as(line).isTrue();
      assertThat(event.get("message")).as(line).isNotNull();
      assertThat(event.get("log.level")).as(line).isNotNull();
      assertThat(event.get("service.name").asText()).isEqualTo("rowguard");
    }
    assertThat(String.join("\n", lines)).contains("Capturing 1 table(s)").doesNotContain(SECRET);
    Run bad = jar("--log-format", "xml", "status", "-c", c);
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--log-format");
  }

  /**
   * The jar carries native libraries for the platforms it targets (Linux x86_64 and aarch64, glibc
   * and musl; macOS) and none for others, which were most of its size.
   */
  @Test
  void theJarCarriesNativeLibrariesOnlyForTheTargetedPlatforms() throws Exception {
    List<String> natives = new ArrayList<>();
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(JAR.toFile())) {
      zip.stream()
          .map(java.util.zip.ZipEntry::getName)
          .filter(n -> n.matches(".*(rocksdbjni|zstd-jni).*\\.(so|dll|jnilib|dylib)"))
          .forEach(natives::add);
    }
    assertThat(natives)
        .contains(
            "librocksdbjni-linux64.so",
            "librocksdbjni-linux64-musl.so",
            "librocksdbjni-linux-aarch64.so",
            "librocksdbjni-osx-arm64.jnilib")
        .anyMatch(n -> n.startsWith("linux/amd64/libzstd-jni"))
        .noneMatch(n -> n.contains("win64") || n.startsWith("win/"))
        .noneMatch(n -> n.contains("s390x") || n.contains("ppc64le") || n.contains("linux32"));
  }

  /**
   * The demo's embedded PostgreSQL is not in the server's jar: `demo` from it says where to find
   * it, and runs with rowguard-demo.jar beside it on the class path.
   */
  @Test
  void theDemosPostgresComesInItsOwnJar() throws Exception {
    try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(JAR.toFile())) {
      assertThat(zip.stream().map(java.util.zip.ZipEntry::getName))
          .noneMatch(n -> n.startsWith("io/zonky/") || n.endsWith(".txz"));
    }
    Run alone = jar("demo");
    assertThat(alone.exit()).isEqualTo(2);
    assertThat(alone.err()).contains("rowguard-demo.jar").hasLineCount(1);
    Path demoJar = Path.of("..", "demo", "target", "rowguard-demo.jar").toAbsolutePath();
    Run both =
        java(
            Map.of(),
            List.of(),
            List.of("-cp", JAR + java.io.File.pathSeparator + demoJar, Main.class.getName()),
            "demo",
            "--orders",
            "50");
    assertThat(both.exit()).as(both.err()).isZero();
    assertThat(both.out()).contains("Everything the demo started is stopped");
  }

  @Test
  void journalDirectoryProblemsAreOneLineWithTheCause() throws Exception {
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to run as nobody");
    pg.exec(
        "CREATE TABLE dir_t (id int PRIMARY KEY, v text)",
        "ALTER TABLE dir_t REPLICA IDENTITY FULL",
        "INSERT INTO dir_t VALUES (1, 'a')");
    // a journal owned by root, owner-only
    Path journal = dir.resolve("journal");
    Path config =
        Cli.writeConfig(
            dir.resolve("dir.properties"), pg.configProperties(journal, "public.dir_t", "dirt"));
    Process capture = Cli.startCapture(config, dir.resolve("capture.log"));
    try {
      awaitStatus(config.toString(), 1);
    } finally {
      capture.destroy();
      capture.waitFor(60, TimeUnit.SECONDS);
    }
    // everything the nobody user needs: the config, the jar (world-readable already)
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    Run unreadable = jar(Map.of(), nobody, "status", "-c", config.toString());
    assertThat(unreadable.exit()).as(unreadable.err()).isEqualTo(2);
    assertThat(unreadable.err())
        .contains("cannot read journal " + journal + ": permission denied")
        .contains("owned by root, mode rwx------")
        .doesNotContain("no journal at");

    // a journal.dir whose parent nobody may write
    Path locked = dir.resolve("locked");
    Files.createDirectory(locked);
    Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> props =
        pg.configProperties(locked.resolve("journal"), "public.dir_t", "dirt2");
    Path lockedConfig = Cli.writeConfig(dir.resolve("locked.properties"), props);
    Files.setPosixFilePermissions(lockedConfig, PosixFilePermissions.fromString("rw-r--r--"));
    Run unwritable = jar(Map.of(), nobody, "capture", "-c", lockedConfig.toString());
    assertThat(unwritable.exit()).as(unwritable.err()).isEqualTo(2);
    assertThat(unwritable.err())
        .contains("cannot create journal.dir " + locked.resolve("journal"))
        .contains("permission denied")
        .contains("owned by root");
    assertThat(unwritable.err().strip().lines().count()).isEqualTo(1);

    // a journal directory others may enter is made owner-only, and the log says so
    Files.setPosixFilePermissions(journal, PosixFilePermissions.fromString("rwxrwxrwx"));
    Run fixed = ok("teardown", "-c", config.toString());
    assertThat(fixed.err()).contains("could be read by others (rwxrwxrwx): made it owner-only");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journal)))
        .isEqualTo("rwx------");
  }

  /**
   * Starts {@code java -jar rowguard.jar ARGS --progress-interval 1}, its output into {@code log}.
   */
  static Process startFromJar(Path log, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                JAR.toString()));
    cmd.addAll(List.of(args));
    if (args[0].equals("capture")) {
      cmd.addAll(List.of("--progress-interval", "1"));
    }
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(TestLogs.keep(log).toFile())
        .start();
  }

  static void awaitStatus(String config, long entries) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      Run r = jar("status", "-c", config, "--json");
      if (r.exit() == 0
          && new ObjectMapper().readTree(r.out()).get("entries").asLong() >= entries) {
        return;
      }
      Thread.sleep(300);
    }
    throw new AssertionError("the journal did not reach " + entries + " entries");
  }

  static String firstTx(String auditJson) throws Exception {
    JsonNode doc = new ObjectMapper().readTree(auditJson);
    JsonNode changes = doc.has("changes") ? doc.get("changes") : doc;
    return changes.get(0).get("tx").asText();
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
