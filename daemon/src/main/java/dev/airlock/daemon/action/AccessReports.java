package dev.airlock.daemon.action;

import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessBatch;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.ProcessInfo;
import dev.airlock.protocol.Violation;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.TracedProcess;
import java.util.ArrayList;
import java.util.List;

/** Converts a trace into its wire form: the summary for the result, the accesses in batches. */
final class AccessReports {
  /** Accesses per AccessBatch event: far below the frame limit even with long paths. */
  static final int BATCH = 1000;

  private AccessReports() {}

  /** The report carried by the result: everything but the accesses themselves. */
  static AccessReport summary(TraceResult trace) {
    AccessReport.Builder report =
        AccessReport.newBuilder()
            .setTraced(true)
            .setAccessCount(trace.accesses().size())
            .addAllObservationGaps(trace.observationGaps());
    for (dev.airlock.sandbox.linux.trace.Access a : trace.accesses()) {
      report.putCounts(a.kind().label(), report.getCountsOrDefault(a.kind().label(), 0) + 1);
    }
    for (dev.airlock.sandbox.linux.trace.Violation v : trace.violations()) {
      report.addViolations(
          Violation.newBuilder()
              .setKind(AccessKind.valueOf(v.kind().name()))
              .setPath(PathBytes.toWire(v.path()))
              .setPid(v.pid())
              .setDenied(v.denied())
              .setHidden(v.hidden()));
    }
    for (TracedProcess p : trace.processes()) {
      report.addProcesses(
          ProcessInfo.newBuilder()
              .setPid(p.pid())
              .setParentPid(p.parentPid())
              .addAllArgv(PathBytes.toWire(p.argv()))
              .setExitStatus(p.exitStatus()));
    }
    return report.build();
  }

  /** The accesses, in order, cut into batches. */
  static List<AccessBatch> batches(TraceResult trace) {
    List<AccessBatch> batches = new ArrayList<>();
    AccessBatch.Builder batch = AccessBatch.newBuilder();
    for (dev.airlock.sandbox.linux.trace.Access a : trace.accesses()) {
      batch.addAccesses(
          Access.newBuilder()
              .setKind(AccessKind.valueOf(a.kind().name()))
              .setPath(PathBytes.toWire(a.path()))
              .setErrno(a.errno())
              .setPid(a.pid()));
      if (batch.getAccessesCount() == BATCH) {
        batches.add(batch.build());
        batch = AccessBatch.newBuilder();
      }
    }
    if (batch.getAccessesCount() > 0) {
      batches.add(batch.build());
    }
    return batches;
  }
}
