package io.rowguard.bench;

import java.util.Arrays;

/**
 * {@code java -jar bench/target/rowguard-bench.jar e2e [options]}: the end-to-end benchmark; {@code
 * ... jmh [JMH options]}: the JMH benchmarks of the hot paths.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String what = args.length == 0 ? "help" : args[0];
    String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
    switch (what) {
      case "e2e" -> EndToEnd.main(rest);
      case "e2e-mariadb" -> MariaDbEndToEnd.main(rest);
      case "e2e-mirror" -> MirrorBench.main(rest);
      case "e2e-kafka-ingest" -> IngestBench.main(rest);
      case "e2e-heap" -> HeapBench.main(rest);
      case "jmh" -> org.openjdk.jmh.Main.main(rest);
      default -> {
        System.err.println(
            String.join(
                "\n",
                "usage: java -Xmx512m -jar rowguard-bench.jar e2e [--changes 500000] [--runs 3]",
                "           [--latency-seconds 20] [--rate 5000] [--history-events 1000000]",
                "           [--rollback-rows 100000] [--only capture,latency,history,rollback]",
                "           [--json results.json] [--work DIR]",
                "       java -Xmx512m -jar rowguard-bench.jar e2e-mariadb [--changes 200000]",
                "           [--rollback-rows 100000] [--runs 3] [--only capture,rollback]",
                "           [--json results.json]   (needs mariadbd installed)",
                "       java -Xmx1g -jar rowguard-bench.jar e2e-mirror [--changes 200000] [--runs 3]",
                "           [--rate 5000] [--latency-seconds 20] [--only throughput,latency,beside]",
                "           [--json results.json]",
                "       java -Xmx1g -jar rowguard-bench.jar e2e-kafka-ingest [--changes 200000]",
                "           [--runs 3] [--json results.json]",
                "       java -jar rowguard-bench.jar e2e-heap [--jar cli/target/rowguard.jar]",
                "           [--scale 1.0]   (capture's heap against tables, row width, transaction size)",
                "       java -jar rowguard-bench.jar jmh [JMH options, e.g. -prof gc HistorySeek]"));
        System.exit(what.equals("help") ? 0 : 2);
      }
    }
  }
}
