package dev.airlock.daemon.action;

import dev.airlock.sandbox.linux.ExitStatus;
import dev.airlock.sandbox.linux.LaunchFailure;
import dev.airlock.sandbox.linux.trace.TraceResult;
import java.util.List;
import java.util.Optional;

/**
 * What running an action produced, before anything is decided about it: how its main process ended,
 * why it could not start (if it could not), what the tracer recorded (absent when the launcher
 * failed before the tracer could seize it), a copy of its output for the cache, and the confinement
 * layers that were in force.
 */
public record RunRecord(
    ExitStatus status,
    Optional<LaunchFailure> launchFailure,
    Optional<TraceResult> trace,
    OutputCapture output,
    List<String> confinement) {
  public RunRecord {
    confinement = List.copyOf(confinement);
  }
}
