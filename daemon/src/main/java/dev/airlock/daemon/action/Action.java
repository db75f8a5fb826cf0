package dev.airlock.daemon.action;

import static dev.airlock.protocol.Signals.SIGKILL;

import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.LaunchedProcess;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One accepted action and its cancellation state. Cancelling is safe from any thread at any point
 * of the action's life: before it starts it never starts; while it runs its whole process group
 * gets the signal, then SIGKILL after the grace period.
 */
public final class Action {
  private static final Logger log = Logger.getLogger(Action.class.getName());

  enum State {
    QUEUED,
    RUNNING,
    FINISHED
  }

  /**
   * Why an action was stopped by Airlock rather than by itself; {@code limit} names the policy
   * limit it went over, if that was why (empty otherwise).
   */
  public record Cancellation(Outcome outcome, String reason, int signal, String limit) {}

  private final String id;
  private final ActionRequest request;
  private final LaunchSpec spec;
  private final EffectivePolicy policy;
  private final ActionListener listener;
  private final StdinFeed stdin;
  private final FrontEnd frontEnd;
  private final long acceptedNanos = System.nanoTime();

  private State state = State.QUEUED;
  private LaunchedProcess process;
  private Cancellation cancellation;
  private Runnable killAfterGrace = () -> {};

  Action(
      String id,
      ActionRequest request,
      LaunchSpec spec,
      EffectivePolicy policy,
      ActionListener listener,
      StdinFeed stdin,
      FrontEnd frontEnd) {
    this.frontEnd = frontEnd;
    this.policy = policy;
    this.id = id;
    this.request = request;
    this.spec = spec;
    this.listener = listener;
    this.stdin = stdin;
  }

  public String id() {
    return id;
  }

  /** The request, as decoded when the daemon accepted it. */
  public ActionRequest request() {
    return request;
  }

  LaunchSpec spec() {
    return spec;
  }

  /** The workspace root: the request's, resolved against the working directory, or the latter. */
  Path workspace() {
    return request.workspace();
  }

  /** How the action's inputs are provided and its outputs taken (its front end). */
  FrontEnd frontEnd() {
    return frontEnd;
  }

  /** The policy the action runs under, expanded for it. */
  public EffectivePolicy policy() {
    return policy;
  }

  /** The wall-clock limit: the request's or the policy's, whichever is shorter (0: none). */
  long timeoutMillis() {
    long requested = request.timeoutMillis();
    long limit = policy.limits().getWallTimeMs();
    if (requested == 0 || limit == 0) {
      return Math.max(requested, limit);
    }
    return Math.min(requested, limit);
  }

  ActionListener listener() {
    return listener;
  }

  /** The client's stdin stream, when the request asked to stream it. */
  public Optional<StdinFeed> stdin() {
    return Optional.ofNullable(stdin);
  }

  long acceptedNanos() {
    return acceptedNanos;
  }

  synchronized State state() {
    return state;
  }

  synchronized Optional<Cancellation> cancellation() {
    return Optional.ofNullable(cancellation);
  }

  /** How the grace-period SIGKILL is scheduled; set by the scheduler. */
  synchronized void killAfterGrace(Runnable schedule) {
    this.killAfterGrace = schedule;
  }

  /**
   * Marks the action running with its process; if it was cancelled meanwhile, the process group
   * gets the cancellation's signal at once.
   *
   * @return false when the action was cancelled before it could start
   */
  synchronized boolean attach(LaunchedProcess started) {
    state = State.RUNNING;
    process = started;
    if (cancellation != null) {
      signal(cancellation.signal());
      killAfterGrace.run();
      return false;
    }
    return true;
  }

  synchronized void markStarting() {
    state = State.RUNNING;
  }

  synchronized void markFinished() {
    state = State.FINISHED;
    process = null;
  }

  /**
   * Requests that the action stop. The first cancellation wins (a timeout then a disconnect stays a
   * timeout).
   *
   * @return true when this call cancelled a queued action, which will then never run
   */
  public boolean cancel(Outcome outcome, String reason, int signal) {
    return cancel(outcome, reason, signal, "");
  }

  /** As {@link #cancel(Outcome, String, int)}, for going over the policy limit {@code limit}. */
  synchronized boolean cancel(Outcome outcome, String reason, int signal, String limit) {
    if (state == State.FINISHED) {
      return false;
    }
    if (cancellation == null) {
      cancellation = new Cancellation(outcome, reason, signal, limit);
      log.info(() -> "action " + id + " cancelled: " + reason);
    }
    if (stdin != null) {
      stdin.close();
    }
    if (process != null) {
      signal(signal);
      killAfterGrace.run();
    }
    return state == State.QUEUED;
  }

  /**
   * Records that the action, whose processes are all gone, went over the policy limit {@code
   * limit}: it ends so, as if it had been cancelled for it (unless it already was, for anything).
   */
  synchronized void stopped(Outcome outcome, String reason, String limit) {
    if (cancellation == null && state != State.FINISHED) {
      cancellation = new Cancellation(outcome, reason, 0, limit);
      log.info(() -> "action " + id + " stopped: " + reason);
    }
  }

  /** Sends SIGKILL to the action's process group if it still runs. */
  synchronized void kill() {
    if (process != null) {
      signal(SIGKILL);
    }
  }

  private void signal(int signal) {
    try {
      process.signalGroup(signal);
    } catch (ErrnoException e) {
      log.log(Level.WARNING, "action " + id + ": cannot signal its process group", e);
    }
  }
}
