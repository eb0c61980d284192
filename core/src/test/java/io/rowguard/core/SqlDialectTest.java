package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SqlDialectTest {

  @Test
  void postgresQuotesWithDoubleQuotesAndDoublesThem() {
    assertThat(SqlDialect.POSTGRES.quote(TableId.of("public", "Odd \"Name\"`")))
        .isEqualTo("\"public\".\"Odd \"\"Name\"\"`\"");
  }

  @Test
  void mysqlQuotesWithBackticksAndDoublesThem() {
    assertThat(SqlDialect.MYSQL.quote(TableId.of("shop", "Odd `Name`\"")))
        .isEqualTo("`shop`.`Odd ``Name``\"`");
  }

  @Test
  void aTableWithoutSchemaIsQuotedByNameAlone() {
    assertThat(SqlDialect.MYSQL.quote(TableId.of("", "t"))).isEqualTo("`t`");
    assertThat(SqlDialect.POSTGRES.quote(TableId.of("", "t"))).isEqualTo("\"t\"");
  }

  @Test
  void eachConnectorWritesItsDatabasesSql() {
    assertThat(SqlDialect.of(ConnectorKind.POSTGRES)).isEqualTo(SqlDialect.POSTGRES);
    assertThat(SqlDialect.of(ConnectorKind.MYSQL)).isEqualTo(SqlDialect.MYSQL);
    assertThat(SqlDialect.of(ConnectorKind.MARIADB)).isEqualTo(SqlDialect.MYSQL);
  }
}
