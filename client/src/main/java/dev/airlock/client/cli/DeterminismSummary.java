package dev.airlock.client.cli;

import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.OutputDifference;
import java.io.PrintStream;

/** {@code --check-determinism}: the verdict on stderr, one line per difference. */
final class DeterminismSummary {
  private DeterminismSummary() {}

  /**
   * Prints the verdict of {@code result} (nothing when no check was asked for).
   *
   * @return whether the action was found not deterministic
   */
  static boolean print(ActionResult result, String command, PrintStream err) {
    if (!result.hasDeterminism()) {
      return false;
    }
    DeterminismReport report = result.getDeterminism();
    String caveat = report.getReason().isEmpty() ? "" : " (" + report.getReason() + ")";
    if (!report.getChecked()) {
      err.println("airlock: " + command + ": determinism not checked: " + report.getReason());
      return false;
    }
    if (report.getDeterministic()) {
      err.println(
          "airlock: "
              + command
              + ": the action is deterministic: two runs on the same inputs left the same outputs"
              + caveat);
      return false;
    }
    int n = report.getDifferencesCount();
    err.println(
        "airlock: "
            + command
            + ": the action is not deterministic: two runs on the same inputs differ in "
            + n
            + (n == 1 ? " place" : " places")
            + caveat
            + ":");
    for (OutputDifference d : report.getDifferencesList()) {
      err.println("airlock:   " + d.getDescription());
    }
    return true;
  }
}
