package dev.airlock.client;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Violation;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What `airlock audit` counts as undeclared, and where it shows it. */
class AuditReportTest {
  private static final Path WORKSPACE = Path.of("/w");

  /**
   * A result with these violations. As the tracer reports them, opening a directory to list it is a
   * read violation, and its listing an enumerate access of the same path.
   */
  private static ActionResult withViolations(Violation... violations) {
    AccessReport.Builder report = AccessReport.newBuilder().setTraced(true);
    for (Violation v : violations) {
      if (v.getKind() == AccessKind.ENUMERATE) {
        report.addViolations(v.toBuilder().setKind(AccessKind.READ));
        report.addAccesses(
            Access.newBuilder().setKind(AccessKind.ENUMERATE).setPath(v.getPath()).setPid(2));
      } else {
        report.addViolations(v);
      }
    }
    return ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).setAccessReport(report).build();
  }

  private static Violation violation(AccessKind kind, String path) {
    return Violation.newBuilder().setKind(kind).setPath(PathBytes.toWire(path)).setPid(2).build();
  }

  @Test
  void listingTheWorkspaceOrADeclaredInputsDirectoryIsNoUndeclaredRead() {
    AuditReport report =
        new AuditReport(
            withViolations(
                violation(AccessKind.ENUMERATE, "/w"),
                violation(AccessKind.ENUMERATE, "/w/src"),
                violation(AccessKind.ENUMERATE, "/w/data")),
            WORKSPACE,
            List.of("/w/src/a.c", "/w/data"));

    assertFalse(report.hasUndeclared(), report.format(true));
    assertTrue(report.format(false).contains("Undeclared reads (0): none\n"), report.format(true));
  }

  @Test
  void aListedDirectoryIsShownUnderItselfAndItsFilesUnderIt() {
    AuditReport report =
        new AuditReport(
            withViolations(
                violation(AccessKind.ENUMERATE, "/w"),
                violation(AccessKind.ENUMERATE, "/w/include"),
                violation(AccessKind.READ, "/w/include/a.h"),
                violation(AccessKind.READ, "/w/include/b.h")),
            WORKSPACE,
            List.of("/w/src/a.c"));

    assertTrue(report.hasUndeclared());
    String text = report.format(false);
    assertTrue(text.contains("Undeclared reads (3), by directory:\n"), text);
    assertTrue(text.contains("      3  /w/include/\n"), text);
    assertFalse(text.contains("  /w/\n"), text);
    assertTrue(report.json().contains("\"undeclared_reads\": [\"/w/include\", "), report.json());
  }

  @Test
  void aDirectoryOpenedButNotListedCountsAsTheDirectoryNotAsAFileOfItsParent() {
    AccessReport.Builder report =
        AccessReport.newBuilder()
            .setTraced(true)
            .addViolations(violation(AccessKind.READ, "/w"))
            .addViolations(violation(AccessKind.READ, "/tmp/perf"))
            .addViolations(violation(AccessKind.READ, "/tmp/perf/1"))
            .addAccesses(access(AccessKind.STAT_PROBE, "/w"))
            .addAccesses(access(AccessKind.STAT_PROBE, "/tmp/perf"))
            .addAccesses(access(AccessKind.STAT_PROBE, "/tmp/perf/1"))
            .addAccesses(access(AccessKind.READ, "/tmp/perf/1"));
    AuditReport audit =
        new AuditReport(
            ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).setAccessReport(report).build(),
            WORKSPACE,
            List.of());

    String text = audit.format(false);
    assertTrue(text.contains("Undeclared reads (2), by directory:\n      2  /tmp/perf/\n"), text);
  }

  private static Access access(AccessKind kind, String path) {
    return Access.newBuilder().setKind(kind).setPath(PathBytes.toWire(path)).setPid(2).build();
  }

  @Test
  void listingADirectoryAboveTheDeclaredInputsStaysUndeclared() {
    AuditReport report =
        new AuditReport(
            withViolations(violation(AccessKind.ENUMERATE, "/")), WORKSPACE, List.of("/w/src/a.c"));

    assertTrue(report.hasUndeclared());
    assertTrue(report.format(false).contains("      1  /\n"), report.format(false));
  }
}
