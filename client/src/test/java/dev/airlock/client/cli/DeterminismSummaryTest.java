package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.OutputDifference;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** --check-determinism's verdict on stderr: one line per difference, or why there is none. */
class DeterminismSummaryTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private boolean print(DeterminismReport.Builder report) {
    ActionResult result =
        ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).setDeterminism(report).build();
    return DeterminismSummary.print(
        result, "cc", new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void aNondeterministicActionNamesEachDifferenceOnALineOfItsOwn() {
    boolean nondeterministic =
        print(
            DeterminismReport.newBuilder()
                .setChecked(true)
                .addDifferences(OutputDifference.newBuilder().setDescription("/w/a.o differs"))
                .addDifferences(OutputDifference.newBuilder().setDescription("stdout differs")));

    assertTrue(nondeterministic);
    assertEquals(
        "airlock: cc: the action is not deterministic: two runs on the same inputs differ in 2"
            + " places:\n"
            + "airlock:   /w/a.o differs\n"
            + "airlock:   stdout differs\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aDeterministicActionSaysSoWithWhatWasLeftOut() {
    boolean nondeterministic =
        print(
            DeterminismReport.newBuilder()
                .setChecked(true)
                .setDeterministic(true)
                .setReason("stdout and stderr were not compared: they were too large to keep"));

    assertFalse(nondeterministic);
    assertEquals(
        "airlock: cc: the action is deterministic: two runs on the same inputs left the same"
            + " outputs (stdout and stderr were not compared: they were too large to keep)\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void noVerdictSaysWhyAndIsNoFailure() {
    boolean nondeterministic =
        print(DeterminismReport.newBuilder().setReason("the action was cancelled"));

    assertFalse(nondeterministic);
    assertEquals(
        "airlock: cc: determinism not checked: the action was cancelled\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aRunWithoutACheckPrintsNothing() {
    ActionResult result = ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).build();

    assertFalse(
        DeterminismSummary.print(result, "cc", new PrintStream(err, true, StandardCharsets.UTF_8)));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
  }
}
