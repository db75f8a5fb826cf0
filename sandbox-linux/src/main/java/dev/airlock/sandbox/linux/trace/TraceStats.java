package dev.airlock.sandbox.linux.trace;

import java.util.List;
import java.util.Map;

/**
 * What tracing one action cost: ptrace stops by kind and syscall, and what the fast path did.
 *
 * @param seccompStops syscalls that stopped for the tracer (one seccomp stop each)
 * @param exitStops syscall-exit stops the tracer asked for (a result it needed)
 * @param stopsBySyscall seccomp stops per syscall name
 * @param records calls the shim served and logged, drained from the ring
 * @param shimProcesses processes whose shim started
 * @param ringFull calls the shim sent the slow way because the ring was full
 * @param ineligible calls the shim sent the slow way by its rules (a dirfd, a path out of scope)
 * @param unpatched glibc functions some process left to ptrace (an unexpected prologue)
 * @param stuck records claimed and never published (a writer still blocked in its call, or killed
 *     between claim and publish); their slots stay out of use, the calls after them go on
 */
public record TraceStats(
    long seccompStops,
    long exitStops,
    Map<String, Long> stopsBySyscall,
    long records,
    long shimProcesses,
    long ringFull,
    long ineligible,
    List<String> unpatched,
    int stuck) {
  public TraceStats {
    stopsBySyscall = Map.copyOf(stopsBySyscall);
    unpatched = List.copyOf(unpatched);
  }
}
