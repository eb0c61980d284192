package io.rowguard.audit;

import static io.rowguard.audit.Shop.SECOND;
import static io.rowguard.audit.Shop.START;
import static io.rowguard.audit.Shop.by;
import static io.rowguard.audit.Shop.customer;
import static io.rowguard.audit.Shop.order;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed story: a test loader overwrites production orders among ordinary traffic. */
class IncidentFinderTest {
  @TempDir Path dir;

  @Test
  void aPlantedMassOverwriteIsFirstAmongNormalTraffic() {
    try (Journal journal = Journal.openWriter(dir)) {
      Shop shop = new Shop(journal);
      Random random = new Random(42);
      int nextOrder = 1;
      String loader = null;
      String bulkImport = null;
      for (int s = 0; s < 2_000; s++) {
        if (s == 1_500) {
          // the bad write: a test loader rewrites 400 existing orders, nobody attributed
          List<Shop.Write> w = new ArrayList<>();
          for (int i = 1; i <= 400; i++) {
            w.add(order(i, "TEST DATA"));
          }
          loader = shop.commit(s, null, w.toArray(Shop.Write[]::new));
          continue;
        }
        if (s == 1_700) {
          // a legitimate, tagged bulk import of new customers: unusual, but less so
          List<Shop.Write> w = new ArrayList<>();
          for (int i = 0; i < 150; i++) {
            w.add(customer(10_000 + i, "imported"));
          }
          bulkImport = shop.commit(s, by("import-job"), w.toArray(Shop.Write[]::new));
          continue;
        }
        int n = 1 + random.nextInt(3);
        List<Shop.Write> w = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (nextOrder < 50 || random.nextBoolean()) {
            w.add(order(nextOrder++, "new"));
          } else {
            w.add(order(1 + random.nextInt(nextOrder - 1), "paid"));
          }
        }
        if (random.nextInt(4) == 0) {
          w.add(customer(random.nextInt(100), "c" + s));
        }
        shop.commit(s, random.nextBoolean() ? by("web") : null, w.toArray(Shop.Write[]::new));
      }
      List<Incident> top =
          new IncidentFinder(journal)
              .find(
                  START + 1_000 * SECOND, START + 2_000 * SECOND, START, 5, Journal.Progress.NONE);
      assertThat(top).hasSize(5);
      assertThat(top.get(0).transaction().txId()).isEqualTo(loader);
      assertThat(top.get(0).reasons())
          .anySatisfy(
              r -> assertThat(r).contains("400 rows of public.orders").contains("400 updated"))
          .anySatisfy(r -> assertThat(r).contains("unattributed"));
      assertThat(top.get(1).transaction().txId()).isEqualTo(bulkImport);
      assertThat(top.get(0).score()).isGreaterThan(top.get(1).score());
      assertThat(top.get(2).score()).isLessThan(top.get(1).score() / 2);
    }
  }
}
