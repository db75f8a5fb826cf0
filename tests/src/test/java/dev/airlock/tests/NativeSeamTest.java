package dev.airlock.tests;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Native code lives in one narrow place: only classes of the package {@code
 * dev.airlock.sandbox.linux} itself (its bindings and the classes that own native resources) may
 * use JNA. The rule reads the compiled production classes of every module.
 */
@AnalyzeClasses(packages = "dev.airlock", importOptions = ImportOption.DoNotIncludeTests.class)
class NativeSeamTest {
  @ArchTest
  static final ArchRule onlySandboxLinuxUsesJna =
      noClasses()
          .that()
          .resideOutsideOfPackage("dev.airlock.sandbox.linux")
          .should()
          .dependOnClassesThat()
          .resideInAPackage("com.sun.jna..")
          .because("JNA stays behind sandbox-linux's typed API (style rule 1)");

  /**
   * The rule saw every module: each package with Java sources in a module of the parent POM has
   * compiled classes among those imported (a module missing from this one's test dependencies would
   * otherwise go unchecked).
   */
  @ArchTest
  static void everyModulesClassesAreChecked(JavaClasses classes) throws IOException {
    Set<String> imported =
        classes.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>();
    for (String module : modules()) {
      for (String pkg : sourcePackages(DaemonFixture.REPO.resolve(module))) {
        if (!imported.contains(pkg)) {
          missing.add(module + ": " + pkg);
        }
      }
    }
    assertEquals(Set.of(), missing, "packages not imported (make their module a dependency)");
  }

  private static List<String> modules() throws IOException {
    Matcher m =
        Pattern.compile("<module>([^<]+)</module>")
            .matcher(Files.readString(DaemonFixture.REPO.resolve("pom.xml")));
    return m.results().map(r -> r.group(1)).toList();
  }

  private static Set<String> sourcePackages(Path module) throws IOException {
    Path sources = module.resolve("src/main/java");
    if (!Files.isDirectory(sources)) {
      return Set.of();
    }
    try (Stream<Path> files = Files.walk(sources)) {
      return files
          .filter(f -> f.toString().endsWith(".java"))
          .map(f -> sources.relativize(f.getParent()).toString().replace('/', '.'))
          .collect(Collectors.toSet());
    }
  }
}
