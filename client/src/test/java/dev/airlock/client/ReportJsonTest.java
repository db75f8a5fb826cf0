package dev.airlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.DifferenceKind;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.OutputDifference;
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

  @Test
  void aDeterminismCheckListsEachDifferenceWithWhatItsKindCarries() {
    ActionResult result =
        ActionResult.newBuilder()
            .setOutcome(Outcome.COMPLETED)
            .setDeterminism(
                DeterminismReport.newBuilder()
                    .setChecked(true)
                    .addDifferences(
                        OutputDifference.newBuilder()
                            .setSubject(PathBytes.toWire("/w/out"))
                            .setKind(DifferenceKind.DIFFERENCE_TEXT)
                            .setLine(1)
                            .setOffset(9)
                            .setFirstSize(11)
                            .setSecondSize(11)
                            .setFirstText("1765000001")
                            .setSecondText("1765000002")
                            .setDescription("d1"))
                    .addDifferences(
                        OutputDifference.newBuilder()
                            .setSubject(PathBytes.toWire("/w/t.o"))
                            .setKind(DifferenceKind.DIFFERENCE_BINARY)
                            .setOffset(1105)
                            .setFirstSize(1368)
                            .setSecondSize(1369)
                            .setDescription("d2")))
            .build();

    String json = ReportJson.format("a-1", List.of("true"), "/w", "/w", result);

    assertTrue(
        json.contains(
            ",\n  \"determinism\": {\"checked\": true, \"deterministic\": false, \"differences\": [\n"
                + "    {\"subject\": \"/w/out\", \"kind\": \"text\", \"line\": 1, \"offset\": 9,"
                + " \"first_size\": 11, \"second_size\": 11, \"first\": \"1765000001\", \"second\":"
                + " \"1765000002\", \"description\": \"d1\"},\n"
                + "    {\"subject\": \"/w/t.o\", \"kind\": \"binary\", \"offset\": 1105,"
                + " \"first_size\": 1368, \"second_size\": 1369, \"description\": \"d2\"}\n"
                + "  ]}"),
        json);
  }

  @Test
  void aRunWithoutADeterminismCheckHasNoDeterminismObject() {
    ActionResult result = ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).build();

    String json = ReportJson.format("a-1", List.of("true"), "/w", "/w", result);

    assertTrue(!json.contains("\"determinism\""), json);
  }
}
