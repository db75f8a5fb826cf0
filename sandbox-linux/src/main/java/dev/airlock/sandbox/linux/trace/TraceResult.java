package dev.airlock.sandbox.linux.trace;

import dev.airlock.sandbox.linux.ExitStatus;
import java.util.List;

/**
 * What tracing an action produced: how its main process ended, every distinct access, the process
 * tree, and what the tracer could not observe (an empty list means the record is complete).
 */
public record TraceResult(
    ExitStatus rootStatus,
    List<Access> accesses,
    List<TracedProcess> processes,
    List<String> observationGaps) {
  public TraceResult {
    accesses = List.copyOf(accesses);
    processes = List.copyOf(processes);
    observationGaps = List.copyOf(observationGaps);
  }
}
