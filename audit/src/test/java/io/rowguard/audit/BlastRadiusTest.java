package io.rowguard.audit;

import static io.rowguard.audit.Shop.by;
import static io.rowguard.audit.Shop.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rowguard.core.InputException;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlastRadiusTest {
  @TempDir Path dir;

  @Test
  void theRowsATransactionTouchedAndWhoTouchedThemLater() {
    try (Journal journal = Journal.openWriter(dir)) {
      Shop shop = new Shop(journal);
      shop.commit(1, null, order(1, "new"), order(2, "new"), order(3, "new"));
      String bad = shop.commit(2, null, order(1, "x"), order(2, "x"), order(1, "y"));
      String carol = shop.commit(3, by("carol"), order(1, "fixed"));
      String dave = shop.commit(4, by("dave"), order(1, "again"), order(2, "z"), order(3, "w"));
      List<BlastRadius.TouchedRow> rows = new ArrayList<>();
      BlastRadius.Result r = new BlastRadius(journal).of(bad, rows::add);

      assertThat(rows).hasSize(2);
      assertThat(rows.get(0).change().event().key().toString()).isEqualTo("1");
      assertThat(rows.get(0).laterTransactions()).containsExactly(carol, dave);
      assertThat(rows.get(1).laterTransactions()).containsExactly(dave);
      assertThat(r.transaction().rows()).isEqualTo(3);
      assertThat(r.later())
          .extracting(BlastRadius.LaterTransaction::txId, BlastRadius.LaterTransaction::rows)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(carol, 1L),
              org.assertj.core.groups.Tuple.tuple(dave, 2L));
      assertThat(r.later().iterator().next().attribution().actor()).isEqualTo("carol");
      assertThatThrownBy(() -> new BlastRadius(journal).of("999999", x -> {}))
          .isInstanceOf(InputException.class)
          .hasMessageContaining("unknown transaction 999999");
    }
  }
}
