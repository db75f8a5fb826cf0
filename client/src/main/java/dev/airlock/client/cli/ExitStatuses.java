package dev.airlock.client.cli;

import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.PathBytes;
import java.io.PrintStream;

/** Maps an action's result to the client's exit status, saying why when Airlock intervened. */
final class ExitStatuses {
  private ExitStatuses() {}

  /** Says on {@code err} what Airlock did about the action, and returns the client's status. */
  static int report(ActionResult result, String command, PrintStream err) {
    int status = status(result, command, err);
    ChangeReport changes = result.getChanges();
    if (!changes.getKeptAt().isEmpty()) {
      err.println(
          "airlock: "
              + command
              + ": its changes were kept in "
              + PathBytes.display(PathBytes.fromWire(changes.getKeptAt())));
    } else if (changes.getReason().contains(NOT_KEPT)) {
      err.println(
          "airlock: "
              + command
              + ": "
              + changes.getReason().substring(changes.getReason().indexOf(NOT_KEPT) + 2));
    }
    return status;
  }

  /** How the daemon's change report says --keep-failed could not keep the changes. */
  private static final String NOT_KEPT = "; its changes were not kept: ";

  private static int status(ActionResult result, String command, PrintStream err) {
    int mirrored =
        result.getTerminationCase() == ActionResult.TerminationCase.SIGNAL
            ? 128 + result.getSignal()
            : result.getExitCode();
    switch (result.getOutcome()) {
      case COMPLETED:
        return mirrored;
      case EXEC_FAILED:
        err.println("airlock: " + result.getMessage());
        return AirlockCli.EXIT_EXEC_FAILED;
      case TIMED_OUT:
      case LIMIT_EXCEEDED:
        err.println("airlock: " + command + ": " + result.getMessage());
        return AirlockCli.EXIT_TIMEOUT;
      case POLICY_VIOLATION:
        err.println("airlock: " + command + ": " + result.getMessage());
        return AirlockCli.EXIT_POLICY_VIOLATION;
      case COMMIT_CONFLICT:
        err.println(
            "airlock: " + command + ": its changes were not committed: " + result.getMessage());
        return AirlockCli.EXIT_CONFLICT;
      case OUTPUT_HASH_MISMATCH:
        err.println("airlock: " + command + ": " + result.getMessage());
        return AirlockCli.EXIT_HASH_MISMATCH;
      case CANCELLED:
        err.println("airlock: " + command + ": " + result.getMessage());
        return result.getTerminationCase() == ActionResult.TerminationCase.TERMINATION_NOT_SET
            ? AirlockCli.EXIT_AIRLOCK_ERROR
            : mirrored;
      default:
        err.println("airlock: " + result.getMessage());
        return AirlockCli.EXIT_AIRLOCK_ERROR;
    }
  }
}
