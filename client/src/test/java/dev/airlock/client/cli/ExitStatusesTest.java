package dev.airlock.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ExitStatusesTest {
  /** Each way an action can end, the client's exit status for it, and what the client says. */
  static Stream<Arguments> endings() {
    return Stream.of(
        arguments(
            "a completed action mirrors its exit code and says nothing",
            result(Outcome.COMPLETED).setExitCode(3),
            3,
            ""),
        arguments(
            "death by a signal becomes 128 plus the signal",
            result(Outcome.COMPLETED).setSignal(9),
            137,
            ""),
        arguments(
            "an exec failure is 127 with the daemon's message",
            result(Outcome.EXEC_FAILED)
                .setExitCode(127)
                .setMessage("cannot execute 'foo': No such file or directory"),
            127,
            "airlock: cannot execute 'foo': No such file or directory\n"),
        arguments(
            "a timeout is 124",
            result(Outcome.TIMED_OUT).setSignal(15).setMessage("timed out after 1s"),
            124,
            "airlock: cmd: timed out after 1s\n"),
        arguments(
            "a cancelled action mirrors how the command died and says why",
            result(Outcome.CANCELLED).setSignal(2).setMessage("cancelled by the client"),
            130,
            "airlock: cmd: cancelled by the client\n"),
        arguments(
            "cancelled before starting is an Airlock status",
            result(Outcome.CANCELLED).setMessage("airlockd is shutting down (before it started)"),
            125,
            "airlock: cmd: airlockd is shutting down (before it started)\n"),
        arguments(
            "a failed action's kept changes are named after its status",
            result(Outcome.COMPLETED)
                .setExitCode(3)
                .setChanges(ChangeReport.newBuilder().setKeptAt(PathBytes.toWire("/w/kept"))),
            3,
            "airlock: cmd: its changes were kept in /w/kept\n"),
        arguments(
            "changes that could not be kept are said so",
            result(Outcome.COMPLETED)
                .setExitCode(1)
                .setChanges(
                    ChangeReport.newBuilder()
                        .setReason(
                            "the command exited with status 1; its changes were not kept: /w/kept"
                                + " is not empty")),
            1,
            "airlock: cmd: its changes were not kept: /w/kept is not empty\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("endings")
  void eachEndingGivesItsStatusAndSaysWhatAirlockDid(
      String ending, ActionResult.Builder result, int status, String stderr) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int reported =
        ExitStatuses.report(
            result.build(), "cmd", new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(status, reported, ending);
    assertEquals(stderr, err.toString(StandardCharsets.UTF_8), ending);
  }

  private static ActionResult.Builder result(Outcome outcome) {
    return ActionResult.newBuilder().setOutcome(outcome);
  }
}
