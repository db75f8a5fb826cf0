package dev.airlock.daemon.action;

import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.ShimLibrary;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs at most {@code maxParallel} actions at once, each on its own platform thread, and keeps the
 * rest in a FIFO queue of at most {@code maxQueued}. Also owns timeouts and the SIGKILL that
 * follows a cancel after the grace period.
 */
final class ActionScheduler {
  private final int maxParallel;
  private final int maxQueued;
  private final long killGraceMillis;
  private final Launcher launcher;
  private final ScheduledExecutorService timers;
  private final ExecutorService runners;
  private final ExecutorService io;
  private final ConfinementPlanner planner;
  private final CpuPlacement placement;
  private final Optional<ShimLibrary> shim;

  private final ArrayDeque<Action> queue = new ArrayDeque<>();
  private final List<Action> running = new ArrayList<>();
  private long finished;
  private boolean accepting = true;

  ActionScheduler(
      int maxParallel,
      int maxQueued,
      long killGraceMillis,
      Launcher launcher,
      ScheduledExecutorService timers,
      ExecutorService runners,
      ExecutorService io,
      ConfinementPlanner planner,
      CpuPlacement placement,
      Optional<ShimLibrary> shim) {
    this.shim = shim;
    this.planner = planner;
    this.placement = placement;
    this.runners = runners;
    this.io = io;
    this.maxParallel = maxParallel;
    this.maxQueued = maxQueued;
    this.killGraceMillis = killGraceMillis;
    this.launcher = launcher;
    this.timers = timers;
  }

  /**
   * Queues or starts an action.
   *
   * @return 0 when it starts at once, else its place in the queue (1 is next)
   */
  synchronized int submit(Action action) throws ActionRejectedException {
    if (!accepting) {
      throw new ActionRejectedException(
          ErrorCode.SHUTTING_DOWN, "airlockd is shutting down and accepts no new actions");
    }
    if (running.size() < maxParallel) {
      start(action);
      return 0;
    }
    if (queue.size() >= maxQueued) {
      throw new ActionRejectedException(
          ErrorCode.QUEUE_FULL,
          "airlockd's queue is full ("
              + maxQueued
              + (maxQueued == 1 ? " action waits" : " actions wait")
              + " behind "
              + running.size()
              + " running); retry later or raise --max-queued");
    }
    queue.add(action);
    return queue.size();
  }

  /** Cancels an action wherever it is; a queued one is removed and finished at once. */
  void cancel(Action action, Outcome outcome, String reason, int signal) {
    if (action.cancel(outcome, reason, signal)) {
      boolean removed;
      synchronized (this) {
        removed = queue.remove(action);
      }
      if (removed) {
        markCompleted();
        ActionRunner.finishUnstarted(action);
        synchronized (this) {
          notifyAll();
        }
      }
    }
  }

  /** Stops accepting work and cancels everything queued or running. */
  List<Action> shutdown(String reason, int signal) {
    List<Action> all;
    synchronized (this) {
      accepting = false;
      all = new ArrayList<>(running);
      all.addAll(queue);
    }
    for (Action action : all) {
      cancel(action, Outcome.CANCELLED, reason, signal);
    }
    return all;
  }

  /** Blocks until no action runs or waits, or the deadline passes; true when idle. */
  synchronized boolean awaitIdle(long timeoutMillis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (!running.isEmpty() || !queue.isEmpty()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  synchronized int runningCount() {
    return running.size();
  }

  synchronized int queuedCount() {
    return queue.size();
  }

  synchronized long finishedCount() {
    return finished;
  }

  int maxParallel() {
    return maxParallel;
  }

  int maxQueued() {
    return maxQueued;
  }

  private void start(Action action) {
    running.add(action);
    action.killAfterGrace(
        () -> timers.schedule(action::kill, killGraceMillis, TimeUnit.MILLISECONDS));
    long timeoutMs = action.timeoutMillis();
    ScheduledFuture<?> timeout =
        timeoutMs == 0
            ? null
            : timers.schedule(
                () ->
                    cancel(
                        action,
                        Outcome.TIMED_OUT,
                        "timed out after " + formatMillis(timeoutMs),
                        15),
                timeoutMs,
                TimeUnit.MILLISECONDS);
    // A pooled platform thread: the whole action (spawn, ptrace, the final wait) runs on it,
    // which is all ptrace asks; it is free again only once the action has no process left.
    runners.execute(
        new ActionRunner(
            action,
            launcher,
            planner,
            placement,
            shim,
            io,
            this::markCompleted,
            () -> {
              if (timeout != null) {
                timeout.cancel(false);
              }
              onFinished(action);
            }));
  }

  private synchronized void markCompleted() {
    finished++;
  }

  private synchronized void onFinished(Action action) {
    running.remove(action);
    while (running.size() < maxParallel && !queue.isEmpty()) {
      start(queue.poll());
    }
    notifyAll();
  }

  static String formatMillis(long millis) {
    return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
  }
}
