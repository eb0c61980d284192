package io.rowguard.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The module layering of DESIGN.md, checked on the compiled classes. */
class LayeringTest {
  static final JavaClasses CLASSES =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          // the other modules' test jars (fixtures, shared test helpers) are not the product
          .withImportOption(location -> !location.contains("-tests.jar"))
          .importPackages("io.rowguard");

  @Test
  void coreImportsNoInfrastructure() {
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.core..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.debezium..",
            "org.rocksdb..",
            "org.apache.kafka..",
            "java.sql..",
            "io.rowguard.journal..",
            "io.rowguard.connectors..",
            "io.rowguard.replay..",
            "io.rowguard.cli..")
        .because(
            "core is the domain every module shares; it must stay testable without a"
                + " database, a log or a broker (DESIGN.md: core depends on nothing of ours)")
        .check(CLASSES);
  }

  @Test
  void theJournalKnowsNothingOfItsProducersOrConsumers() {
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.journal..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.rowguard.connectors..",
            "io.rowguard.replay..",
            "io.rowguard.cli..",
            "io.debezium..",
            "org.apache.kafka..",
            "java.sql..")
        .because("the journal is storage: capture writes it and replay reads it, through its API")
        .check(CLASSES);
  }

  @Test
  void connectorsAndReplayAreIndependent() {
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.connectors..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("io.rowguard.replay..", "io.rowguard.cli..")
        .because("capture must not depend on how changes are put back")
        .check(CLASSES);
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.replay..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.rowguard.connectors..", "io.rowguard.cli..", "io.debezium..", "org.apache.kafka..")
        .because("replay works from the journal alone, so it works for any capture source")
        .allowEmptyShould(true) // replay lands with the rollback issue
        .check(CLASSES);
  }

  @Test
  void auditWorksFromTheJournalAlone() {
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.audit..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "io.rowguard.connectors..",
            "io.rowguard.replay..",
            "io.rowguard.cli..",
            "io.debezium..",
            "org.apache.kafka..",
            "org.rocksdb..",
            "java.sql..")
        .because(
            "who changed what is answered from the journal; guard rules hear of transactions"
                + " through core's TransactionListener, so capture never depends on them")
        .check(CLASSES);
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.connectors..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.rowguard.audit..")
        .because("capture must not depend on what listens to it")
        .check(CLASSES);
  }

  @Test
  void theClientHelperNeedsNothingButTheJdk() {
    noClasses()
        .that()
        .resideInAPackage("io.rowguard.client..")
        .should()
        .dependOnClassesThat()
        .resideOutsideOfPackages("io.rowguard.client..", "java..")
        .because("applications copy or depend on it without pulling anything in")
        .check(CLASSES);
  }

  @Test
  void internalsStayInsideTheirModule() {
    for (String module :
        new String[] {"core", "journal", "connectors", "replay", "audit", "client", "cli"}) {
      noClasses()
          .that()
          .resideOutsideOfPackage("io.rowguard." + module + "..")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("io.rowguard." + module + ".internal..")
          .because("each module's API is its root package; internal may change freely")
          .allowEmptyShould(true)
          .check(CLASSES);
    }
  }

  @Test
  void eachJdbcDriversTypesStayInItsDatabasesPackage() {
    noClasses()
        .that()
        .resideOutsideOfPackage("..internal.postgres..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.postgresql..")
        .because("PostgreSQL's driver types belong to its source and dialect (DESIGN.md)")
        .check(CLASSES);
    noClasses()
        .that()
        .resideOutsideOfPackage("..internal.mysql..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.mariadb..", "com.mysql..")
        .because("MySQL's and MariaDB's driver types belong to their source and dialect")
        .allowEmptyShould(true)
        .check(CLASSES);
  }

  @Test
  void oneDatabasesCodeNeverReachesIntoAnothers() {
    noClasses()
        .that()
        .resideInAPackage("..internal.mysql..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("..internal.postgres..")
        .check(CLASSES);
    noClasses()
        .that()
        .resideInAPackage("..internal.postgres..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("..internal.mysql..")
        .check(CLASSES);
  }
}
