package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ExitStatusesTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int report(ActionResult result) {
    return ExitStatuses.report(result, "cmd", new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void completedActionMirrorsExitCodeAndSaysNothing() {
    assertEquals(
        3, report(ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).setExitCode(3).build()));
    assertEquals("", stderr());
  }

  @Test
  void deathBySignalBecomes128PlusTheSignal() {
    assertEquals(
        137, report(ActionResult.newBuilder().setOutcome(Outcome.COMPLETED).setSignal(9).build()));
  }

  @Test
  void execFailureIs127WithTheDaemonsMessage() {
    int status =
        report(
            ActionResult.newBuilder()
                .setOutcome(Outcome.EXEC_FAILED)
                .setExitCode(127)
                .setMessage("cannot execute 'foo': No such file or directory")
                .build());
    assertEquals(127, status);
    assertEquals("airlock: cannot execute 'foo': No such file or directory\n", stderr());
  }

  @Test
  void timeoutIs124() {
    int status =
        report(
            ActionResult.newBuilder()
                .setOutcome(Outcome.TIMED_OUT)
                .setSignal(15)
                .setMessage("timed out after 1s")
                .build());
    assertEquals(124, status);
    assertEquals("airlock: cmd: timed out after 1s\n", stderr());
  }

  @Test
  void cancelledActionMirrorsHowTheCommandDiedAndSaysWhy() {
    int status =
        report(
            ActionResult.newBuilder()
                .setOutcome(Outcome.CANCELLED)
                .setSignal(2)
                .setMessage("cancelled by the client")
                .build());
    assertEquals(130, status);
    assertEquals("airlock: cmd: cancelled by the client\n", stderr());
  }

  @Test
  void cancelledBeforeStartingIsAnAirlockStatus() {
    int status =
        report(
            ActionResult.newBuilder()
                .setOutcome(Outcome.CANCELLED)
                .setMessage("airlockd is shutting down (before it started)")
                .build());
    assertEquals(125, status);
  }

  @Test
  void aFailedActionsKeptChangesAreNamedAfterItsStatus() {
    int status =
        report(
            ActionResult.newBuilder()
                .setOutcome(Outcome.COMPLETED)
                .setExitCode(3)
                .setChanges(ChangeReport.newBuilder().setKeptAt(PathBytes.toWire("/w/kept")))
                .build());
    assertEquals(3, status);
    assertEquals("airlock: cmd: its changes were kept in /w/kept\n", stderr());
  }

  @Test
  void changesThatCouldNotBeKeptAreSaidSo() {
    report(
        ActionResult.newBuilder()
            .setOutcome(Outcome.COMPLETED)
            .setExitCode(1)
            .setChanges(
                ChangeReport.newBuilder()
                    .setReason(
                        "the command exited with status 1; its changes were not kept: /w/kept is"
                            + " not empty"))
            .build());
    assertEquals("airlock: cmd: its changes were not kept: /w/kept is not empty\n", stderr());
  }
}
