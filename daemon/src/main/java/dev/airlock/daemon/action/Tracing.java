package dev.airlock.daemon.action;

import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.policy.PolicyGuard;
import dev.airlock.sandbox.linux.ShimInjection;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import dev.airlock.sandbox.linux.trace.FastPath;
import dev.airlock.sandbox.linux.trace.TraceStats;
import dev.airlock.sandbox.linux.trace.Tracer;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * How one action is traced: strictly (every traced syscall stops), or fast, with the in-process
 * shim serving read-only file calls into a ring the tracer drains (README, "The fast path"). Holds
 * the ring for the run; closing releases it.
 */
final class Tracing implements AutoCloseable {
  private static final Logger log = Logger.getLogger(Tracing.class.getName());

  /** The strict BPF program of each set of options: four variants at most, each built once. */
  private static final ConcurrentMap<Integer, byte[]> STRICT_FILTERS = new ConcurrentHashMap<>();

  private final Action action;
  private final Optional<FastPath> fastPath;
  private final Tracer tracer;
  private final byte[] filter;

  private Tracing(
      Action action, SyscallTable syscalls, PolicyGuard guard, Optional<FastPath> fast) {
    this.action = action;
    this.fastPath = fast;
    this.tracer = new Tracer(syscalls, guard, fast);
    EffectivePolicy policy = action.policy();
    boolean namespaces = policy.allowNamespaces();
    boolean limits = policy.limits().getProcesses() > 0;
    this.filter =
        fast.isPresent()
            // Built per action: the page's address is part of the program.
            ? Tracer.filter(syscalls, namespaces, limits, fast).toBytes()
            : STRICT_FILTERS.computeIfAbsent(
                (namespaces ? 1 : 0) | (limits ? 2 : 0),
                k -> Tracer.filter(syscalls, namespaces, limits).toBytes());
  }

  /**
   * The tracing of {@code action}: fast when the daemon has a shim, the policy lets no namespace be
   * made (a mount namespace of the action's own would change what its records name) and the shim is
   * reachable inside the sandbox (the pid namespace's init holds it, or nothing hides the daemon's
   * libexec); strict otherwise, and when the ring cannot be made.
   */
  static Tracing of(
      Action action,
      ConfinementPlanner planner,
      Optional<ShimLibrary> shim,
      Optional<List<Integer>> unpinTo,
      SyscallTable syscalls) {
    PolicyGuard guard = new PolicyGuard(action.policy(), planner.isolatesNetwork());
    boolean applies =
        shim.isPresent()
            && !action.policy().allowNamespaces()
            && (planner.givesPidNamespace() || !planner.givesNamespaces())
            && !guard.fastPathScope().entries().isEmpty();
    Optional<FastPath> fast = Optional.empty();
    if (applies) {
      try {
        fast =
            Optional.of(
                FastPath.open(
                    shim.get(),
                    guard.fastPathScope(),
                    FastPath.DEFAULT_SLOTS,
                    FastPath.DEFAULT_SLOT_BYTES,
                    unpinTo.orElse(null)));
      } catch (IOException e) {
        log.log(Level.WARNING, "action " + action.id() + ": no fast path, traced strictly", e);
      }
    }
    return new Tracing(action, syscalls, guard, fast);
  }

  Tracer tracer() {
    return tracer;
  }

  byte[] filter() {
    return filter;
  }

  /** What the launcher preloads into the command (fast path only). */
  Optional<ShimInjection> injection() {
    return fastPath.map(FastPath::injection);
  }

  /** One line per action on what tracing it cost (scripts/bench-trace reads it). */
  void logCost() {
    TraceStats stats = tracer.stats();
    log.info(
        () ->
            "action "
                + action.id()
                + " traced "
                + (fastPath.isPresent() ? "fast" : "strict")
                + ": "
                + stats.seccompStops()
                + " stops ("
                + stats.exitStops()
                + " for results), "
                + stats.records()
                + " records from "
                + stats.shimProcesses()
                + " processes with the shim, "
                + stats.ringFull()
                + " sent back by a full ring"
                + (stats.unpatched().isEmpty() ? "" : ", left to ptrace: " + stats.unpatched())
                + "; most stops: "
                + mostStops(stats));
  }

  /** The syscalls that stopped most, most first: where tracing this action spent its time. */
  private static String mostStops(TraceStats stats) {
    return stats.stopsBySyscall().entrySet().stream()
        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(6)
        .map(e -> e.getKey() + " " + e.getValue())
        .collect(java.util.stream.Collectors.joining(", "));
  }

  @Override
  public void close() {
    fastPath.ifPresent(FastPath::close);
  }
}
