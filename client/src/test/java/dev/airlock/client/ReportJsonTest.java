package dev.airlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Violation;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The --report document: what a reader of the JSON finds there. */
class ReportJsonTest {
  @Test
  void everyViolationIsListedWithItsKindPathPidAndWhetherItWasDenied() {
    AccessReport.Builder report = AccessReport.newBuilder().setTraced(true);
    for (int i = 0; i < 11; i++) {
      report.addViolations(
          Violation.newBuilder()
              .setKind(i % 2 == 0 ? AccessKind.READ : AccessKind.WRITE)
              .setPath(PathBytes.toWire("/secret/" + i))
              .setPid(100 + i)
              .setDenied(i != 10));
    }
    ActionResult result =
        ActionResult.newBuilder()
            .setOutcome(Outcome.POLICY_VIOLATION)
            .setExitCode(1)
            .setAccessReport(report)
            .build();

    String json = ReportJson.format("a-1", List.of("sh"), "/w", "/w", result);

    Matcher violation =
        Pattern.compile(
                "\\{\"kind\": \"([a-z-]+)\", \"path\": \"([^\"]+)\", \"pid\": (\\d+),"
                    + " \"denied\": (true|false)}")
            .matcher(json.substring(json.indexOf("\"violations\": [")));
    for (int i = 0; i < 11; i++) {
      assertTrue(violation.find(), "violation " + i + " missing:\n" + json);
      assertEquals(i % 2 == 0 ? "read" : "write", violation.group(1));
      assertEquals("/secret/" + i, violation.group(2));
      assertEquals(Integer.toString(100 + i), violation.group(3));
      assertEquals(i != 10 ? "true" : "false", violation.group(4));
    }
  }

  @Test
  void aRunWithoutViolationsHasAnEmptyList() {
    ActionResult result =
        ActionResult.newBuilder()
            .setOutcome(Outcome.COMPLETED)
            .setAccessReport(AccessReport.newBuilder().setTraced(true))
            .build();

    String json = ReportJson.format("a-1", List.of("true"), "/w", "/w", result);

    assertTrue(json.contains(",\n  \"violations\": [],\n"), json);
  }
}
