package dev.airlock.client.cli;

import dev.airlock.protocol.ActionResult;
import java.io.PrintStream;

/** Maps an action's result to the client's exit status, saying why when Airlock intervened. */
final class ExitStatuses {
  private ExitStatuses() {}

  static int report(ActionResult result, String command, PrintStream err) {
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
        err.println("airlock: " + command + ": " + result.getMessage());
        return AirlockCli.EXIT_TIMEOUT;
      case POLICY_VIOLATION:
        err.println("airlock: " + command + ": " + result.getMessage());
        return AirlockCli.EXIT_POLICY_VIOLATION;
      case COMMIT_CONFLICT:
        err.println(
            "airlock: " + command + ": its changes were not committed: " + result.getMessage());
        return AirlockCli.EXIT_CONFLICT;
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
