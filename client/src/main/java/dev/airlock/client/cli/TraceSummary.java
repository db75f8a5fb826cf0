package dev.airlock.client.cli;

import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import java.io.PrintStream;
import java.util.Locale;

/** {@code --trace-summary}: one line per access kind with its count. */
final class TraceSummary {
  private TraceSummary() {}

  static void print(AccessReport report, PrintStream err) {
    if (!report.getTraced()) {
      err.println("airlock: trace: the action was not traced");
      return;
    }
    err.printf(
        "airlock: trace: %d distinct accesses by %d processes%s%n",
        report.getAccessCount(),
        report.getProcessesCount(),
        report.getObservationGapsCount() == 0
            ? ""
            : " (incomplete: " + String.join("; ", report.getObservationGapsList()) + ")");
    for (AccessKind kind : AccessKind.values()) {
      if (kind == AccessKind.ACCESS_KIND_UNSPECIFIED || kind == AccessKind.UNRECOGNIZED) {
        continue;
      }
      String label = kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
      err.printf("airlock: trace: %-17s %d%n", label, report.getCountsOrDefault(label, 0));
    }
  }
}
