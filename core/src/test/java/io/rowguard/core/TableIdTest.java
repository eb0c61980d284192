package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class TableIdTest {
  @Test
  void quotedPartsMayHoldDotsQuotesAndSpaces() {
    assertThat(TableId.parse("\"Sales.EU\".\"Order \"\"Items\"\"\""))
        .isEqualTo(TableId.of("Sales.EU", "Order \"Items\""));
    assertThat(TableId.parse("public.orders")).isEqualTo(TableId.of("public", "orders"));
    assertThat(TableId.parse("orders")).isEqualTo(TableId.of("", "orders"));
  }

  @Property
  void theDisplayedNameParsesBack(
      @ForAll @StringLength(min = 1, max = 12) String schema,
      @ForAll @StringLength(min = 1, max = 12) String name) {
    TableId id = TableId.of(schema, name);
    assertThat(TableId.parse(id.toString())).isEqualTo(id);
  }

  @Test
  void malformedNamesSayWhatIsWrong() {
    assertThatThrownBy(() -> TableId.parse("a.b.c"))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("expected schema.table");
    assertThatThrownBy(() -> TableId.parse("\"open")).hasMessageContaining("unterminated quote");
    assertThatThrownBy(() -> TableId.parse("public.")).hasMessageContaining("empty part");
  }
}
