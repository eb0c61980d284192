package io.rowguard.connectors;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node KRaft Kafka in a JVM of its own (the {@code kafka_2.13} server on the test
 * classpath), for tests that stop and restart the broker. Its data outlives a stop.
 */
public final class KafkaProcess implements AutoCloseable {
  private final Path dir;
  private final int port;
  private final Path properties;
  private Process process;

  private KafkaProcess(Path dir, int port, Path properties) {
    this.dir = dir;
    this.port = port;
    this.properties = properties;
  }

  /** Formats a broker's storage under {@code dir} and starts it. */
  public static KafkaProcess start(Path dir) throws Exception {
    Files.createDirectories(dir);
    int port = freePort();
    int controller = freePort();
    Path props = dir.resolve("server.properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "process.roles=broker,controller",
            "node.id=1",
            "controller.quorum.voters=1@127.0.0.1:" + controller,
            "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller,
            "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
            "controller.listener.names=CONTROLLER",
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name=PLAINTEXT",
            "log.dirs=" + dir.resolve("data"),
            "offsets.topic.replication.factor=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "num.partitions=1",
            "group.initial.rebalance.delay.ms=0",
            ""));
    Process format =
        java(
            dir.resolve("format.log"),
            "kafka.tools.StorageTool",
            "format",
            "-t",
            Uuid.randomUuid().toString(),
            "-c",
            props.toString());
    if (!format.waitFor(120, TimeUnit.SECONDS) || format.exitValue() != 0) {
      throw new IllegalStateException(
          "kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
    }
    KafkaProcess k = new KafkaProcess(dir, port, props);
    k.start();
    return k;
  }

  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Starts the broker (again) and waits until it answers. */
  public void start() throws Exception {
    process = java(dir.resolve("broker.log"), "kafka.Kafka", properties.toString());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    Map<String, Object> config =
        Map.of(
            "bootstrap.servers",
            bootstrapServers(),
            "default.api.timeout.ms",
            5000,
            "request.timeout.ms",
            5000);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "kafka exited: " + Files.readString(dir.resolve("broker.log")));
      }
      try (Admin admin = Admin.create(config)) {
        admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
        return;
      } catch (Exception notYet) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("kafka did not answer in 120 s", notYet);
        }
        Thread.sleep(200);
      }
    }
  }

  /** Stops the broker (SIGTERM, then waits for it). */
  public void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stop();
  }

  private static Process java(Path log, String main, String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                main));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
