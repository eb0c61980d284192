package io.rowguard.connectors.internal.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class GtidsTest {
  @Test
  void aMariaDbPositionIsDoneWhenEveryDomainHasReachedIt() {
    Gtids done = Gtids.parse("0-1-18,1-2-7");
    assertThat(done.behind(Gtids.parse("0-1-18"))).isZero();
    assertThat(done.behind(Gtids.parse("0-1-20,1-2-7"))).isEqualTo(2);
    // another server of the same domain (after a failover) counts on from the same sequence
    assertThat(done.behind(Gtids.parse("0-3-19"))).isEqualTo(1);
    assertThat(done.behind(Gtids.parse("2-1-1"))).isEqualTo(1);
  }

  @Test
  void aMySqlGtidSetCountsByItsHighestTransactionPerServer() {
    String uuid = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    Gtids done = Gtids.parse(uuid + ":1-5:7-9");
    assertThat(done.behind(Gtids.parse(uuid + ":1-9"))).isZero();
    assertThat(done.behind(Gtids.parse(uuid + ":1-12"))).isEqualTo(3);
  }

  @Test
  void theTransactionAnOffsetNamesIsAddedToTheDoneSet() {
    Gtids done = Gtids.parse("0-1-4").with(Gtids.parse("0-1-5"));
    assertThat(done.behind(Gtids.parse("0-1-5"))).isZero();
    assertThat(Gtids.parse("binlog.000001:872").highest()).isEmpty();
    assertThat(Gtids.parse("").behind(Gtids.parse(""))).isZero();
  }
}
