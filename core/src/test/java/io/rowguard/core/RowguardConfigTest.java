package io.rowguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RowguardConfigTest {
  static Map<String, String> valid() {
    Map<String, String> m = new HashMap<>();
    m.put("source.connector", "postgres");
    m.put("source.database.hostname", "127.0.0.1");
    m.put("source.database.user", "guard");
    m.put("source.database.password", "${env:GUARD_DB_PASSWORD}");
    m.put("source.database.dbname", "shop");
    m.put("source.table.include.list", "public.orders");
    m.put("journal.dir", "/var/lib/rowguard/shop");
    return m;
  }

  @Test
  void sourceKeysPassThroughWithoutThePrefixAndEnvIsResolved() {
    RowguardConfig c =
        RowguardConfig.of(
            Path.of("shop.properties"), valid(), n -> n.equals("GUARD_DB_PASSWORD") ? "pw" : null);
    assertThat(c.connector()).isEqualTo(ConnectorKind.POSTGRES);
    assertThat(c.source())
        .containsEntry("table.include.list", "public.orders")
        .containsEntry("database.password", "pw")
        .doesNotContainKey("connector");
    assertThat(c.port()).isEqualTo(5432);
    assertThat(c.toString()).doesNotContain("pw").contains("********");
  }

  @Test
  void writesUseTheirOwnUserWhenOneIsSetAndItsPasswordOnlyWhenTheyWrite() {
    assertThat(RowguardConfig.of(Path.of("f"), valid(), n -> "pw").applyLogin().separate())
        .isFalse();
    Map<String, String> own = valid();
    own.put("apply.user", "rowguard_apply");
    own.put("apply.password", "${env:APPLY_PW}");
    RowguardConfig c =
        RowguardConfig.of(Path.of("f"), own, n -> n.equals("APPLY_PW") ? "secret" : "pw");
    assertThat(c.applyLogin().user()).isEqualTo("rowguard_apply");
    assertThat(c.applyLogin().password()).isEqualTo("secret");
    assertThat(c.applyLogin().toString()).doesNotContain("secret");
    // unset: reading commands work; a write says why it cannot log in
    RowguardConfig unset =
        RowguardConfig.of(Path.of("f"), own, n -> n.equals("APPLY_PW") ? null : "pw");
    assertThatThrownBy(() -> unset.applyLogin().require())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("apply.password refers to ${env:APPLY_PW}");
    Map<String, String> alone = valid();
    alone.put("apply.password", "x");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), alone, n -> "pw"))
        .hasMessageContaining("apply.password is set without apply.user");
  }

  @Test
  void everyProblemNamesTheKey() {
    Map<String, String> typo = valid();
    typo.put("jurnal.dir", "/x");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), typo, n -> "pw"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown key jurnal.dir");
    Map<String, String> port = valid();
    port.put("source.database.port", "70000");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), port, n -> "pw"))
        .hasMessageContaining("source.database.port=70000 is not a port number");
    RowguardConfig unset = RowguardConfig.of(Path.of("f"), valid(), n -> null);
    assertThat(unset.journalDir()).isEqualTo(Path.of("/var/lib/rowguard/shop"));
    assertThatThrownBy(unset::requireSource).hasMessageContaining("GUARD_DB_PASSWORD is not set");
    Map<String, String> noDir = valid();
    noDir.remove("journal.dir");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), noDir, n -> "pw"))
        .hasMessageContaining("missing key journal.dir");
  }

  @Test
  void anIncludeAndAnExcludeListOfOneKindAreRefusedAtOnce() {
    Map<String, String> both = valid();
    both.put("source.table.exclude.list", "public.audit_log");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), both, n -> "pw"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "source.table.include.list and source.table.exclude.list are both set");
    Map<String, String> skipping = valid();
    skipping.put("source.skipped.operations", "t");
    assertThatThrownBy(() -> RowguardConfig.of(Path.of("f"), skipping, n -> "pw"))
        .hasMessageContaining("source.skipped.operations=t would leave changes out of the journal");
    Map<String, String> tableAndSchema = valid();
    tableAndSchema.put("source.schema.exclude.list", "archive");
    assertThat(RowguardConfig.of(Path.of("f"), tableAndSchema, n -> "pw").source())
        .containsKey("schema.exclude.list");
  }

  @Test
  void aRelativeJournalDirIsRelativeToTheConfigFile() {
    Map<String, String> m = valid();
    m.put("journal.dir", "journal");
    RowguardConfig c = RowguardConfig.of(Path.of("/etc/rowguard/shop.properties"), m, n -> "pw");
    assertThat(c.journalDir()).isEqualTo(Path.of("/etc/rowguard/journal"));
  }
}
