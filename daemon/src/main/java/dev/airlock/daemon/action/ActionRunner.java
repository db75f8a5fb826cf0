package dev.airlock.daemon.action;

import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Finished;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Supervises one action from spawn to result, on one dedicated platform thread (the thread that
 * spawns the launcher is the one that waits for it and ptraces it). An attempt goes one way: the
 * front end sets it up (and may answer it without a run), the command runs traced, the front end's
 * finishing steps run in order, and the result is assembled once; a commit conflict may start a new
 * attempt ({@code --retry-on-conflict}). A determinism check runs the command a second time, in the
 * front end's second attempt, before the first run's finishing steps compare and commit.
 */
final class ActionRunner implements Runnable {
  private static final Logger log = Logger.getLogger(ActionRunner.class.getName());

  private final Action action;
  private final Launcher launcher;
  private final ConfinementPlanner planner;
  private final CpuPlacement placement;
  private final Optional<ShimLibrary> shim;
  private final SyscallTable syscalls = SyscallTable.current();
  private final ExecutorService io;
  private final Runnable onCompleted;
  private final Runnable onDone;

  /**
   * @param onCompleted runs once the result is known, before it is reported (counts it)
   * @param onDone runs after the result was handed to the listener (frees the slot)
   */
  ActionRunner(
      Action action,
      Launcher launcher,
      ConfinementPlanner planner,
      CpuPlacement placement,
      Optional<ShimLibrary> shim,
      ExecutorService io,
      Runnable onCompleted,
      Runnable onDone) {
    this.action = action;
    this.launcher = launcher;
    this.planner = planner;
    this.placement = placement;
    this.shim = shim;
    this.io = io;
    this.onCompleted = onCompleted;
    this.onDone = onDone;
  }

  @Override
  public void run() {
    long startNanos = System.nanoTime();
    ActionResult.Builder result;
    try {
      result = attempt();
      // --retry-on-conflict: a run whose commit lost to another runs again from the workspace as
      // it is now (its output is streamed again; the client sees each attempt's Started).
      for (int retries = action.request().retryOnConflict();
          result.getOutcome() == Outcome.COMMIT_CONFLICT
              && retries > 0
              && action.cancellation().isEmpty();
          retries--) {
        log.info("action " + action.id() + ": " + result.getMessage() + "; running it again");
        result = attempt();
      }
    } catch (ErrnoException | RuntimeException e) {
      log.log(Level.SEVERE, "action " + action.id() + " failed in the sandbox", e);
      result = failed("airlockd could not run the action: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      result = failed("airlockd was interrupted while running the action");
    } catch (StackOverflowError e) {
      // An action's tree can nest deeper than any recursion over it can go; without a result
      // here the client would wait forever and the action would hold its slot.
      log.log(Level.SEVERE, "action " + action.id() + ": stack overflow while finishing it", e);
      result = failed("airlockd could not finish the action: its files nest too deeply");
    }
    result.setWallTimeUs(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - startNanos));
    action.markFinished();
    onCompleted.run();
    try {
      deliver(action, result);
    } finally {
      onDone.run();
    }
  }

  /** Reports the result of an action that was cancelled while it waited in the queue. */
  static void finishUnstarted(Action action) {
    Action.Cancellation cancellation = action.cancellation().orElseThrow();
    action.markFinished();
    deliver(
        action,
        ActionResult.newBuilder()
            .setOutcome(cancellation.outcome())
            .setMessage(cancellation.reason() + " (before it started)"));
  }

  /**
   * One attempt, on the least busy CPU: the launcher and its tree inherit the pinning; on the fast
   * path only this (tracer) thread stays there, and each new program until its shim is up.
   */
  private ActionResult.Builder attempt() throws ErrnoException, InterruptedException {
    int slot = placement.pinCurrentThread();
    try (FrontEnd.Attempt attempt = action.frontEnd().begin(action)) {
      action.markStarting();
      Optional<ActionResult.Builder> answered = attempt.result();
      if (answered.isPresent()) {
        return answered.get();
      }
      RunRecord run = traced(attempt, action.listener());
      // --check-determinism: the second run goes before anything of the first is decided, so a
      // cancel or timeout during it still keeps the first run's changes out of the workspace.
      try (Repeat repeat = repeat(attempt, run)) {
        Finishing finishing = attempt.finishing(run);
        finishing.repeated(repeat.finishing(), repeat.notRepeated());
        for (FinishingStep step : attempt.steps()) {
          step.apply(finishing);
        }
        return ResultAssembler.finished(finishing);
      }
    } finally {
      placement.release(slot);
    }
  }

  /** Runs the command once, traced and confined, in {@code attempt}'s layer. */
  private RunRecord traced(FrontEnd.Attempt attempt, ActionListener listener)
      throws ErrnoException, InterruptedException {
    Confinement confinement =
        planner.plan(action.policy(), action.spec().cwd(), attempt.overlays());
    try (Tracing tracing = Tracing.of(action, planner, shim, placement.pinnedCpus(), syscalls)) {
      RunRecord run =
          new TracedRun(action, launcher, io, listener)
              .run(tracing, confinement, planner.layers(confinement));
      tracing.logCost();
      return run;
    }
  }

  /**
   * A determinism check's second attempt (open until the first run's steps compared with it), its
   * finished run, or why it did not run.
   */
  private record Repeat(
      Optional<FrontEnd.Attempt> attempt, Optional<Finishing> finishing, String notRepeated)
      implements AutoCloseable {
    static final Repeat NOT_ASKED = new Repeat(Optional.empty(), Optional.empty(), "");

    @Override
    public void close() {
      attempt.ifPresent(FrontEnd.Attempt::close);
    }
  }

  /** The second run of a determinism check, when one was asked for and the first run ran. */
  private Repeat repeat(FrontEnd.Attempt attempt, RunRecord first)
      throws ErrnoException, InterruptedException {
    if (!action.request().checkDeterminism()
        || first.launchFailure().isPresent()
        || action.cancellation().isPresent()) {
      return Repeat.NOT_ASKED;
    }
    Optional<FrontEnd.Attempt> again = attempt.again();
    if (again.isEmpty()) {
      return new Repeat(again, Optional.empty(), "this front end cannot run an action twice");
    }
    Optional<ActionResult.Builder> refused = again.get().result();
    if (refused.isPresent()) {
      return new Repeat(again, Optional.empty(), refused.get().getMessage());
    }
    try {
      return new Repeat(again, Optional.of(runAgain(again.get())), "");
    } catch (ErrnoException | InterruptedException | RuntimeException e) {
      again.get().close();
      throw e;
    }
  }

  /**
   * A determinism check's second run: its events stay in the daemon (the client saw the first run's
   * output), and its finishing steps only collect its changes.
   */
  private Finishing runAgain(FrontEnd.Attempt again) throws ErrnoException, InterruptedException {
    RunRecord second = traced(again, event -> {});
    Finishing repeat = again.finishing(second);
    for (FinishingStep step : again.steps()) {
      step.apply(repeat);
    }
    return repeat;
  }

  private static ActionResult.Builder failed(String message) {
    return ActionResult.newBuilder().setOutcome(Outcome.SANDBOX_ERROR).setMessage(message);
  }

  private static void deliver(Action action, ActionResult.Builder result) {
    action
        .listener()
        .deliver(
            ActionEvent.newBuilder()
                .setActionId(action.id())
                .setFinished(Finished.newBuilder().setResult(result))
                .build());
  }
}
