package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheHit;
import dev.airlock.daemon.commit.WriteLayer;
import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.policy.PolicyGuard;
import dev.airlock.protocol.AccessBatch;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Finished;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.ResourceUsage;
import dev.airlock.protocol.Started;
import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.ExitStatus;
import dev.airlock.sandbox.linux.LaunchFailure;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import dev.airlock.sandbox.linux.trace.FastPath;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.TraceStats;
import dev.airlock.sandbox.linux.trace.Tracer;
import dev.airlock.sandbox.linux.trace.Violation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Supervises one action from spawn to result, on one dedicated platform thread: the thread that
 * spawns the launcher is the one that waits for it (and, with the tracer, the one that ptraces it).
 */
final class ActionRunner implements Runnable {
  private static final Logger log = Logger.getLogger(ActionRunner.class.getName());

  /** How long output may keep flowing after the main process ended before it is cut off. */
  private static final long OUTPUT_DRAIN_GRACE_MS = 2_000;

  private final Action action;
  private final Launcher launcher;
  private final ConfinementPlanner planner;
  private final ActionStores stores;
  private final CpuPlacement placement;
  private final ShimLibrary shim;
  private final SyscallTable syscalls = SyscallTable.current();
  private final Runnable onCompleted;
  private final Runnable onDone;
  private final ExecutorService io;

  /**
   * @param onCompleted runs once the result is known, before it is reported (counts it)
   * @param onDone runs after the result was handed to the listener (frees the slot)
   */
  ActionRunner(
      Action action,
      Launcher launcher,
      ConfinementPlanner planner,
      ActionStores stores,
      CpuPlacement placement,
      ShimLibrary shim,
      ExecutorService io,
      Runnable onCompleted,
      Runnable onDone) {
    this.io = io;
    this.planner = planner;
    this.stores = stores;
    this.placement = placement;
    this.shim = shim;
    this.action = action;
    this.launcher = launcher;
    this.onCompleted = onCompleted;
    this.onDone = onDone;
  }

  @Override
  public void run() {
    long startNanos = System.nanoTime();
    ActionResult.Builder result;
    try {
      result = supervise();
      // --retry-on-conflict: a run whose commit lost to another runs again from the workspace as
      // it is now (its output is streamed again; the client sees each attempt's Started).
      for (int retries = action.request().retryOnConflict();
          result.getOutcome() == Outcome.COMMIT_CONFLICT
              && retries > 0
              && action.cancellation().isEmpty();
          retries--) {
        log.info("action " + action.id() + ": " + result.getMessage() + "; running it again");
        result = supervise();
      }
    } catch (ErrnoException | RuntimeException e) {
      log.log(Level.SEVERE, "action " + action.id() + " failed in the sandbox", e);
      result =
          ActionResult.newBuilder()
              .setOutcome(Outcome.SANDBOX_ERROR)
              .setMessage("airlockd could not run the action: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result =
          ActionResult.newBuilder()
              .setOutcome(Outcome.SANDBOX_ERROR)
              .setMessage("airlockd was interrupted while running the action");
    }
    result.setWallTimeUs(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNanos));
    action.markFinished();
    onCompleted.run();
    try {
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setFinished(Finished.newBuilder().setResult(result))
                  .build());
    } finally {
      onDone.run();
    }
  }

  /** The BPF program for these options: four variants at most, each built once. */
  private byte[] filter(boolean allowNamespaces, boolean limitProcesses) {
    int key = (allowNamespaces ? 1 : 0) | (limitProcesses ? 2 : 0);
    return FILTERS.computeIfAbsent(
        key, k -> Tracer.filter(syscalls, allowNamespaces, limitProcesses).toBytes());
  }

  private static final java.util.concurrent.ConcurrentMap<Integer, byte[]> FILTERS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Reports the result of an action that was cancelled while it waited in the queue. */
  static void finishUnstarted(Action action) {
    Action.Cancellation cancellation = action.cancellation().orElseThrow();
    action.markFinished();
    action
        .listener()
        .deliver(
            ActionEvent.newBuilder()
                .setActionId(action.id())
                .setFinished(
                    Finished.newBuilder()
                        .setResult(
                            ActionResult.newBuilder()
                                .setOutcome(cancellation.outcome())
                                .setMessage(cancellation.reason() + " (before it started)")))
                .build());
  }

  private ActionResult.Builder supervise() throws ErrnoException, InterruptedException {
    // Pinned before spawning: the launcher and everything it starts inherit the CPU. On the fast
    // path only this (tracer) thread stays there: the tracer moves the launcher's tree off it and
    // keeps each new program there only until its shim is up (its stops are few from then on,
    // and a parallel build in one action must use every core).
    int slot = placement.pinCurrentThread();
    try {
      return superviseOnThisCpu();
    } finally {
      placement.release(slot);
    }
  }

  private ActionResult.Builder superviseOnThisCpu() throws ErrnoException, InterruptedException {
    action.markStarting();
    EffectivePolicy policy = action.policy();
    CacheStage cache = new CacheStage(stores.caching(), action);
    ConfinementPlanner.WriteRoots roots = ConfinementPlanner.writeRoots(policy, action.workspace());
    List<Path> copyOnWrite = roots.copyOnWrite();
    boolean overlays = !copyOnWrite.isEmpty() && stores.writes().overlaysWork();
    // Never write in place silently: a failed action must leave the workspace as it was.
    if (!action.request().unsafeDirectWrites()) {
      if (!copyOnWrite.isEmpty() && !overlays) {
        return refused(
            "this machine cannot give the action a copy-on-write layer (no user namespaces or no"
                + " overlayfs), so its writes to "
                + PathBytes.display(copyOnWrite.toString())
                + " could not be undone; pass --unsafe-direct-writes to let it write in place");
      }
      if (!roots.uncovered().isEmpty()) {
        return refused(uncoveredMessage(roots.uncovered()));
      }
    }
    WriteLayer layer = null;
    try {
      layer = overlays ? stores.writes().begin(action.id(), copyOnWrite) : null;
      // After the layer began: a commit landing from now on is caught by the replay's
      // conflict check on the hit's path set.
      Optional<CacheHit> hit = cache.lookup();
      if (hit.isPresent()) {
        ActionResult.Builder replayed =
            CacheReplay.replay(action, hit.get(), layer, cache, stores.caching());
        if (replayed != null) {
          return replayed;
        }
        if (layer != null) {
          // The replay may have staged content in the upper dirs: start the run from empty ones.
          layer.close();
          layer = stores.writes().begin(action.id(), copyOnWrite);
        }
      }
      PolicyGuard guard = new PolicyGuard(policy, planner.isolatesNetwork());
      try (FastPath fastPath = openFastPath(guard)) {
        Tracer tracer = new Tracer(syscalls, guard, fastPath);
        boolean limits = policy.limits().getProcesses() > 0;
        byte[] filter =
            fastPath == null
                ? filter(policy.allowNamespaces(), limits)
                // Built per action: the page's address is part of the program.
                : Tracer.filter(syscalls, policy.allowNamespaces(), limits, fastPath).toBytes();
        return superviseWithLayer(policy, tracer, filter, fastPath, layer, cache)
            .setCache(cache.report());
      }
    } catch (IOException e) {
      return refused("cannot prepare the action's copy-on-write layer: " + e.getMessage());
    } finally {
      if (layer != null) {
        layer.close();
      }
    }
  }

  /** Why writable roots directly on / are refused, and what to do instead. */
  private static String uncoveredMessage(List<Path> uncovered) {
    Path first = uncovered.get(0);
    String what =
        first.getNameCount() == 0
            ? "the workspace is /, which"
            : PathBytes.display(PathBytes.of(first)) + " would be created directly in /, which";
    return what
        + " cannot get a copy-on-write layer (/ holds every other mount), so the action's writes"
        + " there could not be undone; "
        + (first.getNameCount() == 0
            ? "run it from a project directory or name one with --workspace DIR, "
            : "create its parent directory first, ")
        + "or pass --unsafe-direct-writes to let it write in place";
  }

  private ActionResult.Builder refused(String message) {
    return ActionResult.newBuilder()
        .setOutcome(Outcome.SANDBOX_ERROR)
        .setPolicy(action.policy().name())
        .setMessage(message);
  }

  /**
   * Whether this action takes the fast path: the daemon traces fast, the policy lets no namespace
   * be made (a mount namespace of the action's own would change what its records name), and the
   * shim is reachable inside the sandbox (the pid namespace's init holds it, or nothing hides the
   * daemon's libexec).
   */
  private boolean fastPathApplies() {
    return shim != null
        && !action.policy().allowNamespaces()
        && (planner.givesPidNamespace() || !planner.givesNamespaces());
  }

  /** The action's fast path, or null for strict tracing (also when its ring cannot be made). */
  private FastPath openFastPath(PolicyGuard guard) {
    if (!fastPathApplies() || guard.fastPathScope().entries().isEmpty()) {
      return null;
    }
    try {
      return FastPath.open(
          shim,
          guard.fastPathScope(),
          FastPath.DEFAULT_SLOTS,
          FastPath.DEFAULT_SLOT_BYTES,
          placement.pinnedCpus().orElse(null));
    } catch (IOException e) {
      log.log(Level.WARNING, "action " + action.id() + ": no fast path, traced strictly", e);
      return null;
    }
  }

  private ActionResult.Builder superviseWithLayer(
      EffectivePolicy policy,
      Tracer tracer,
      byte[] filter,
      FastPath fastPath,
      WriteLayer layer,
      CacheStage cache)
      throws ErrnoException, InterruptedException {
    Confinement confinement =
        planner.plan(policy, action.spec().cwd(), layer == null ? List.of() : layer.overlays());
    try (LaunchedProcess process =
        launcher.launchTraced(
            action.spec(), filter, confinement, fastPath == null ? null : fastPath.injection())) {
      // This thread spawned the launcher, so it is the one allowed to ptrace it; seize before
      // the action can be cancelled (a cancelled launcher could no longer be seized).
      try {
        tracer.seize(process);
      } catch (ErrnoException e) {
        // The launcher may already have failed (missing working directory) and exited, which
        // is why it could not be seized; otherwise it waits forever. Kill and reap it, and
        // report its own failure if it had one.
        process.signalGroup(9);
        ExitStatus status = process.awaitExit();
        Optional<LaunchFailure> failure = process.launchFailure();
        if (failure.isPresent()) {
          return result(status, failure);
        }
        throw e;
      }
      action.attach(process);
      action
          .listener()
          .deliver(
              ActionEvent.newBuilder()
                  .setActionId(action.id())
                  .setStarted(Started.newBuilder().setPid(process.pid()))
                  .build());
      OutputCapture capture = new OutputCapture(CacheStage.MAX_CAPTURED_OUTPUT);
      Future<?> output =
          new OutputPump(
                  action.id(),
                  process.outputReader(Protocol.MAX_OUTPUT_CHUNK_BYTES),
                  action.listener(),
                  capture)
              .start(io);
      Future<?> stdin = startStdinPump(process);

      TraceResult trace = tracer.run(process);
      ExitStatus status = trace.rootStatus();
      logTracingCost(tracer.stats(), fastPath != null);

      if (!drained(output, OUTPUT_DRAIN_GRACE_MS)) {
        log.warning(
            "action "
                + action.id()
                + ": a process outside its group still holds its output; cutting it off");
        process.abandonOutput();
      }
      drained(output, Long.MAX_VALUE);
      if (stdin != null) {
        stdin.cancel(true);
      }
      for (AccessBatch batch : AccessReports.batches(trace)) {
        action
            .listener()
            .deliver(ActionEvent.newBuilder().setActionId(action.id()).setAccesses(batch).build());
      }
      ActionResult.Builder result =
          result(status, process.launchFailure())
              .setAccessReport(AccessReports.summary(trace))
              .addAllConfinement(planner.layers(confinement));
      List<Violation> denied = trace.violations().stream().filter(Violation::failsAction).toList();
      if (!denied.isEmpty() && policy.enforcing() && result.getOutcome() == Outcome.COMPLETED) {
        result.setOutcome(Outcome.POLICY_VIOLATION).setMessage(deniedMessage(policy, denied));
      }
      boolean succeeded = CommitStage.succeeded(result);
      Optional<String> uncacheable = cache.uncacheable(trace, result, capture, succeeded);
      List<CacheStage.Pending> pending = new ArrayList<>(1);
      CommitStage.Finished writes =
          CommitStage.finish(
              action,
              layer,
              trace.accesses(),
              result,
              changes -> {
                // Before the commit: outputs are still in the upper dirs, inputs as they were.
                if (uncacheable.isEmpty()) {
                  cache.prepare(trace, changes, capture, 0).ifPresent(pending::add);
                }
              });
      result.setChanges(writes.report());
      cache.afterCommit(result, trace, capture, succeeded, uncacheable, pending);
      return result;
    }
  }

  /** One line per action on what tracing it cost (scripts/bench-trace reads it). */
  private void logTracingCost(TraceStats stats, boolean fast) {
    log.info(
        () ->
            "action "
                + action.id()
                + " traced "
                + (fast ? "fast" : "strict")
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
                + (stats.unpatched().isEmpty() ? "" : ", left to ptrace: " + stats.unpatched()));
  }

  /** "policy 'hermetic' denied: read /etc/passwd, write /home/u/x (and 3 more)". */
  static String deniedMessage(EffectivePolicy policy, List<Violation> denied) {
    StringBuilder message = new StringBuilder("policy '" + policy.name() + "' denied: ");
    int shown = Math.min(denied.size(), 5);
    for (int i = 0; i < shown; i++) {
      Violation v = denied.get(i);
      message.append(i == 0 ? "" : ", ").append(v.kind().label()).append(' ').append(v.path());
    }
    if (denied.size() > shown) {
      message.append(" (and ").append(denied.size() - shown).append(" more)");
    }
    return message.toString();
  }

  private ActionResult.Builder result(ExitStatus status, Optional<LaunchFailure> failure) {
    ActionResult.Builder result =
        ActionResult.newBuilder()
            .setPolicy(action.policy().name())
            .setUsage(
                ResourceUsage.newBuilder()
                    .setUserCpuUs(status.userCpuMicros())
                    .setSystemCpuUs(status.systemCpuMicros())
                    .setMaxRssKib(status.maxRssKib()));
    if (status.exited()) {
      result.setExitCode(status.exitCode());
    } else {
      result.setSignal(status.signal());
    }
    Optional<Action.Cancellation> cancellation = action.cancellation();
    if (cancellation.isPresent()) {
      result.setOutcome(cancellation.get().outcome()).setMessage(cancellation.get().reason());
    } else if (failure.isPresent()) {
      result.setOutcome(Outcome.EXEC_FAILED).setMessage(failure.get().message());
    } else {
      result.setOutcome(Outcome.COMPLETED);
    }
    return result;
  }

  /** Waits for a pump to reach end-of-file; false if it did not within the time. */
  private static boolean drained(Future<?> pump, long millis) throws InterruptedException {
    try {
      pump.get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException | CancellationException e) {
      return true;
    }
  }

  private Future<?> startStdinPump(LaunchedProcess process) {
    Optional<StdinFeed> feed = action.stdin();
    Optional<java.io.OutputStream> pipe = process.stdin();
    if (feed.isEmpty() || pipe.isEmpty()) {
      return null;
    }
    return io.submit(
        () -> {
          try (java.io.OutputStream out = pipe.get()) {
            byte[] chunk;
            while ((chunk = feed.get().take()) != null) {
              out.write(chunk);
            }
          } catch (IOException e) {
            // EPIPE: the command closed its stdin or exited; the rest is not wanted.
            log.fine(() -> "action " + action.id() + ": stdin closed early: " + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
  }
}
