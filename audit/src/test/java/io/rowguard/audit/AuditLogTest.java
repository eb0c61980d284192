package io.rowguard.audit;

import static io.rowguard.audit.Shop.ORDERS;
import static io.rowguard.audit.Shop.SECOND;
import static io.rowguard.audit.Shop.START;
import static io.rowguard.audit.Shop.by;
import static io.rowguard.audit.Shop.customer;
import static io.rowguard.audit.Shop.order;
import static org.assertj.core.api.Assertions.assertThat;

import io.rowguard.core.Attribution;
import io.rowguard.journal.Journal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  @TempDir Path dir;
  Journal journal;
  AuditLog audit;

  /** 300 seconds of traffic: alice tags her transactions, bob's rows name him, the rest nobody. */
  @BeforeEach
  void traffic() {
    journal = Journal.openWriter(dir);
    Shop shop = new Shop(journal);
    for (int s = 0; s < 300; s++) {
      switch (s % 3) {
        case 0 -> shop.commit(s, by("alice"), order(s, "new"), customer(s % 7, "c" + s));
        case 1 -> shop.commit(s, null, new Shop.Write(Shop.ORDER_SCHEMA, s - 1, "paid", "bob"));
        default -> shop.commit(s, null, order(s - 2, "shipped"));
      }
    }
    audit = new AuditLog(journal);
  }

  @org.junit.jupiter.api.AfterEach
  void close() {
    journal.close();
  }

  List<AuditRow> run(AuditQuery q) {
    List<AuditRow> rows = new ArrayList<>();
    audit.run(q, rows::add);
    return rows;
  }

  @Test
  void everyChangeNewestFirstWithWhoMadeIt() {
    List<AuditRow> rows = run(AuditQuery.all());
    assertThat(rows).hasSize(400);
    assertThat(rows).extracting(AuditRow::seq).isSortedAccordingTo((a, b) -> Long.compare(b, a));
    assertThat(rows.get(0).attribution()).isEqualTo(Attribution.UNATTRIBUTED);
    assertThat(rows).filteredOn(r -> "alice".equals(r.attribution().actor())).hasSize(200);
    assertThat(rows)
        .filteredOn(r -> "bob".equals(r.attribution().actor()))
        .allSatisfy(
            r -> {
              assertThat(r.attribution().source()).isEqualTo(Attribution.Source.COLUMN);
              assertThat(r.changedColumns()).containsExactly("status", "updated_by");
            });
  }

  @Test
  void filtersCombine() {
    AuditQuery aliceOrders =
        AuditQuery.all()
            .table(ORDERS)
            .actor("alice")
            .since(START + 30 * SECOND)
            .until(START + 59 * SECOND);
    assertThat(run(aliceOrders))
        .hasSize(10)
        .allSatisfy(
            r -> {
              assertThat(r.change().table()).isEqualTo(ORDERS);
              assertThat(r.attribution().actor()).isEqualTo("alice");
              assertThat(r.change().commitMicros())
                  .isBetween(START + 30 * SECOND, START + 59 * SECOND);
            });
    AuditQuery unattributed = AuditQuery.all().unattributedOnly().since(START + 270 * SECOND);
    assertThat(run(unattributed))
        .hasSize(10)
        .allSatisfy(r -> assertThat(r.attribution().isAttributed()).isFalse());
    String tx = run(AuditQuery.all().withLimit(1)).get(0).change().txId();
    AuditQuery oneTx = AuditQuery.all().tx(tx);
    assertThat(run(oneTx)).hasSize(1).allSatisfy(r -> assertThat(r.change().txId()).isEqualTo(tx));
    AuditQuery customersByTime =
        AuditQuery.all().table(Shop.CUSTOMERS).since(START + 3 * SECOND).until(START + 9 * SECOND);
    assertThat(run(customersByTime))
        .extracting(r -> r.change().commitMicros())
        .containsExactly(START + 9 * SECOND, START + 6 * SECOND, START + 3 * SECOND);
  }

  /**
   * Concurrent commits can reach the log slightly out of time order; table pages still cover it.
   */
  @Test
  void tablePagesCoverCommitsThatRacedEachOther(@TempDir Path other) {
    try (Journal j = Journal.openWriter(other)) {
      Shop shop = new Shop(j);
      shop.commit(50, null, order(1, "a"));
      shop.commit(49, null, order(2, "b")); // logged after, committed a little before
      shop.commit(51, null, order(3, "c"));
      shop.commit(48, by("alice"), order(4, "d"));
      AuditLog a = new AuditLog(j);
      AuditQuery q = AuditQuery.all().table(ORDERS).withLimit(1);
      List<Long> seen = new ArrayList<>();
      while (true) {
        List<AuditRow> rows = new ArrayList<>();
        AuditLog.Page p = a.run(q, rows::add);
        rows.forEach(r -> seen.add(r.seq()));
        if (p.next().isEmpty()) {
          break;
        }
        q = q.before(p.next().getAsLong());
      }
      assertThat(seen).hasSize(4).doesNotHaveDuplicates();
      // a cursor that is no change (the note of alice's transaction, just before her change)
      // pages from the nearest change below it
      List<AuditRow> fromNote = new ArrayList<>();
      a.run(q.withLimit(0).before(j.lastSeq() - 1), fromNote::add);
      assertThat(fromNote).extracting(r -> r.change().key().toString()).contains("3", "2", "1");
    }
  }

  /** Pages follow each other without gaps or repeats, whichever index drives the query. */
  @Test
  void pagesCoverTheAnswerExactlyOnce() {
    for (AuditQuery q :
        List.of(
            AuditQuery.all(), AuditQuery.all().table(ORDERS), AuditQuery.all().actor("alice"))) {
      List<Long> whole = run(q).stream().map(AuditRow::seq).toList();
      List<Long> paged = new ArrayList<>();
      AuditQuery page = q.withLimit(37);
      while (true) {
        List<AuditRow> rows = new ArrayList<>();
        AuditLog.Page p = audit.run(page, rows::add);
        rows.forEach(r -> paged.add(r.seq()));
        assertThat(p.rows()).isEqualTo(rows.size()).isLessThanOrEqualTo(37);
        if (p.next().isEmpty()) {
          break;
        }
        page = page.before(p.next().getAsLong());
      }
      assertThat(paged).as("%s", q).isEqualTo(whole);
    }
  }
}
