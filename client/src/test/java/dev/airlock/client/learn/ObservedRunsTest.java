package dev.airlock.client.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.airlock.client.ReportJson;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.PathBytes;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ObservedRunsTest {
  @Test
  void aRunReportReadsBackAsTheRecordItWasWrittenFrom() {
    // A name that is not UTF-8 survives the JSON round trip byte for byte.
    ByteString odd = ByteString.copyFrom(new byte[] {'/', 'w', '/', 'b', 'a', 'd', (byte) 0xff});
    ActionResult result =
        ActionResult.newBuilder()
            .setAccessReport(
                AccessReport.newBuilder()
                    .setTraced(true)
                    .addAccesses(access(AccessKind.READ, PathBytes.toWire("/w/a.c"), 0))
                    .addAccesses(access(AccessKind.ABSENT_PROBE, PathBytes.toWire("/w/x.h"), 2))
                    .addAccesses(access(AccessKind.CREATE, odd, 0)))
            .build();
    String json = ReportJson.format("a-1", List.of("make", "-s"), "/w/sub", "/w", result);

    ObservedRun run = ObservedRuns.fromJson(json, Optional.empty());

    assertEquals("/w", run.workspace());
    assertEquals(List.of("make", "-s"), run.command());
    assertEquals(result.getAccessReport().getAccessesList(), run.accesses());
    assertTrue(run.complete());
  }

  @Test
  void anAuditReportNeedsTheWorkspaceAndCountsAsIncomplete() {
    String audit =
        """
        {"undeclared_reads": ["/w/extra.h"], "undeclared_executables": [],
         "undeclared_writes": [{"kind": "create", "path": "/w/log"}],
         "toolchain_reads": ["/usr/include/stdio.h"], "absent_probes_in_workspace": [],
         "executed": ["/usr/bin/cc"], "network": ["inet:10.0.0.1:80"], "escapes": [],
         "undeclared": true}
        """;

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ObservedRuns.fromJson(audit, Optional.empty()));
    assertTrue(e.getMessage().contains("--workspace"), e.getMessage());

    ObservedRun run = ObservedRuns.fromJson(audit, Optional.of("/w"));
    assertFalse(run.complete());
    assertEquals(
        List.of(
            AccessKind.READ,
            AccessKind.READ,
            AccessKind.EXEC,
            AccessKind.CREATE,
            AccessKind.CONNECT),
        run.accesses().stream().map(Access::getKind).toList());
  }

  @Test
  void somethingThatIsNoReportIsRefusedSayingWhy() {
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> ObservedRuns.fromJson("{", Optional.empty()))
            .getMessage()
            .contains("not valid JSON"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () -> ObservedRuns.fromJson("{\"a\": 1}", Optional.empty()))
            .getMessage()
            .contains("neither"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ObservedRuns.fromJson(
                        "{\"cwd\": \"/w\", \"accesses\": [{\"kind\": \"teleport\", \"path\": \"/x\"}]}",
                        Optional.empty()))
            .getMessage()
            .contains("unknown access kind 'teleport'"));
  }

  private static Access access(AccessKind kind, ByteString path, int errno) {
    return Access.newBuilder().setKind(kind).setPath(path).setErrno(errno).build();
  }
}
