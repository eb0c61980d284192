package io.rowguard.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class HeapBenchTest {
  @Test
  void theGcLogsLargestHeapsAreReadInMegabytes() {
    HeapBench.Heap h =
        HeapBench.parse(
            List.of(
                "[0.011s][info][gc] Using G1",
                "[1.649s][info][gc] GC(4) Pause Young (Normal) (G1 Preventive Collection)"
                    + " 37M->13M(48M) 11.572ms",
                "[2.001s][info][gc] GC(5) Pause Young (Normal) (G1 Evacuation Pause)"
                    + " 1G->512K(2G) 3.1ms",
                "[2.100s][info][gc] GC(6) Pause Remark 20M->20M(64M) 1.0ms",
                "[2.200s][info][gc] GC(6) Concurrent Mark Cycle 23.511ms"));
    assertThat(h.peakUsed()).isEqualTo(1024);
    assertThat(h.peakLive()).isEqualTo(20);
    assertThat(h.peakCommitted()).isEqualTo(2048);
  }
}
