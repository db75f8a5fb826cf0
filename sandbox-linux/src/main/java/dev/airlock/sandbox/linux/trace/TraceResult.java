package dev.airlock.sandbox.linux.trace;

import dev.airlock.sandbox.linux.ExitStatus;
import java.util.List;

/**
 * What tracing an action produced: how its main process ended, every distinct access, the process
 * tree, what the tracer could not observe (an empty list means the record is complete), and the
 * accesses outside the policy, and how often a write went past the file size limit (SIGXFSZ,
 * whether or not the process ignores it: a tracer sees ignored signals too).
 */
public record TraceResult(
    ExitStatus rootStatus,
    List<Access> accesses,
    List<TracedProcess> processes,
    List<String> observationGaps,
    List<Violation> violations,
    int fileSizeSignals) {
  public TraceResult {
    violations = List.copyOf(violations);
    accesses = List.copyOf(accesses);
    processes = List.copyOf(processes);
    observationGaps = List.copyOf(observationGaps);
  }
}
