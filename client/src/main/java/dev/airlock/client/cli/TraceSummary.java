package dev.airlock.client.cli;

import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheStatus;
import java.io.PrintStream;
import java.util.Locale;

/** {@code --trace-summary}: one line per access kind with its count. */
final class TraceSummary {
  private TraceSummary() {}

  static void print(ActionResult result, PrintStream err) {
    AccessReport report = result.getAccessReport();
    if (result.getCache().getStatus() == CacheStatus.CACHE_HIT
        && result.getCache().getFixedOutput()) {
      err.println(
          "airlock: trace: fixed-output: served from the content store"
              + (result.getCache().getFromRemote() ? " (fetched from the remote cache)" : "")
              + "; nothing ran this time");
      return;
    }
    if (result.getCache().getStatus() == CacheStatus.CACHE_HIT) {
      // Nothing ran, so there was nothing to trace; the recorded run was traced.
      err.println(
          "airlock: trace: replayed from the cache (action "
              + result.getCache().getSourceAction()
              + (result.getCache().getFromRemote() ? ", fetched from the remote cache" : "")
              + "); nothing ran this time");
      return;
    }
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
