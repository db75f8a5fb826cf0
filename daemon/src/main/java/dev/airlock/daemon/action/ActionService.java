package dev.airlock.daemon.action;

import static dev.airlock.protocol.Signals.SIGTERM;

import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.EffectivePolicy;
import dev.airlock.daemon.policy.PolicyResolver;
import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.daemon.request.RequestChecks;
import dev.airlock.policies.PolicyException;
import dev.airlock.protocol.Accepted;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import dev.airlock.protocol.ErrorCode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.ShimLibrary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The daemon's front door for actions: validates a request, turns it into an {@link Action}, queues
 * it, and answers for the whole set (status, shutdown). Knows nothing of sockets.
 */
public final class ActionService implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ActionService.class.getName());

  private final ActionScheduler scheduler;
  private final ScheduledExecutorService timers;
  private final ExecutorService runners;
  private final ExecutorService io;
  private final String idPrefix = Long.toString(System.currentTimeMillis(), 36);
  private final AtomicLong sequence = new AtomicLong();

  private final PolicyResolver policies;

  private final CacheQueries queries;

  private final CacheVerifier verifier;

  /** The front end of actions that come over the socket: they work in their workspace. */
  private final FrontEnd workspace;

  public ActionService(
      Launcher launcher,
      PolicyResolver policies,
      ConfinementPlanner planner,
      SharedState stores,
      int maxParallel,
      int maxQueued,
      long killGraceMillis,
      boolean pinActions,
      Optional<ShimLibrary> shim) {
    this.policies = policies;
    this.queries = new CacheQueries(stores.cache());
    this.workspace = new WorkspaceFrontEnd(stores);
    this.verifier = new CacheVerifier(this, stores);
    if (maxParallel < 1 || maxQueued < 0 || killGraceMillis < 0) {
      throw new IllegalArgumentException("bad limits");
    }
    this.timers =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "airlock-timers");
              t.setDaemon(true);
              return t;
            });
    this.runners = Executors.newCachedThreadPool(named("airlock-runner-"));
    this.io = Executors.newCachedThreadPool(named("airlock-io-"));
    this.scheduler =
        new ActionScheduler(
            maxParallel,
            maxQueued,
            killGraceMillis,
            launcher,
            timers,
            runners,
            io,
            planner,
            new CpuPlacement(pinActions),
            shim);
  }

  /**
   * Accepts an action and reports it to its listener as accepted; it runs when a slot is free.
   *
   * @throws ActionRejectedException when the request is invalid or the daemon cannot take it
   */
  public Action submit(ExecuteRequest wire, ActionListener listener)
      throws ActionRejectedException {
    return submit(decode(wire), workspace, listener);
  }

  /**
   * Accepts an action of another front end (one that provides its inputs and takes its outputs its
   * own way, see {@link FrontEnd}); it runs when a slot is free.
   *
   * @throws ActionRejectedException when its policy is invalid or the daemon cannot take it
   */
  public Action submit(ActionRequest request, FrontEnd frontEnd, ActionListener listener)
      throws ActionRejectedException {
    EffectivePolicy policy;
    try {
      policy = policies.resolve(request);
    } catch (PolicyException e) {
      throw invalid(e.getMessage());
    }
    LaunchSpec spec = launchSpec(request, policy);
    StdinFeed stdin = request.streamStdin() ? new StdinFeed() : null;
    Action action =
        new Action(
            idPrefix + "-" + sequence.incrementAndGet(),
            request,
            spec,
            policy,
            listener,
            stdin,
            frontEnd);
    // Accepted must reach the client before Started, which the runner may send at once.
    synchronized (action) {
      int position = scheduler.submit(action);
      listener.deliver(
          ActionEvent.newBuilder()
              .setActionId(action.id())
              .setAccepted(Accepted.newBuilder().setQueuePosition(position))
              .build());
    }
    log.info(
        () ->
            "action "
                + action.id()
                + " accepted: "
                + PathBytes.display(String.join(" ", request.argv())));
    return action;
  }

  /**
   * An action for {@code request} that is not queued: for asking the cache about it.
   *
   * @throws PolicyException when its policy does not resolve
   */
  Action unscheduled(String id, ActionRequest request, FrontEnd frontEnd)
      throws PolicyException, ActionRejectedException {
    EffectivePolicy policy = policies.resolve(request);
    return new Action(
        id, request, launchSpec(request, policy), policy, event -> {}, null, frontEnd);
  }

  /**
   * Answers a cache request on a pooled thread (gc and explain read files, verify runs actions).
   *
   * @throws ActionRejectedException (through the future) for an invalid request
   */
  public CompletableFuture<CacheReply> cache(CacheRequest request) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            if (request.getOpCase() == CacheRequest.OpCase.VERIFY) {
              return verifier.verify(request.getVerify());
            }
            if (request.getOpCase() != CacheRequest.OpCase.EXPLAIN) {
              return queries.answer(request);
            }
            return queries.explain(unscheduled("explain", decode(request.getExplain()), workspace));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
          } catch (ActionRejectedException e) {
            throw new CompletionException(e);
          } catch (PolicyException | IllegalArgumentException e) {
            throw new CompletionException(invalid(e.getMessage()));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        io);
  }

  /** Cancels an action on behalf of a client (explicit Cancel, or the client went away). */
  public void cancel(Action action, String reason, int signal) {
    scheduler.cancel(action, Outcome.CANCELLED, reason, signal == 0 ? SIGTERM : signal);
  }

  public DaemonStatus status() {
    return new DaemonStatus(
        scheduler.runningCount(),
        scheduler.queuedCount(),
        scheduler.finishedCount(),
        scheduler.maxParallel(),
        scheduler.maxQueued());
  }

  /**
   * Refuses new actions, cancels every queued and running one, and waits for them to finish.
   *
   * @return how many actions were cancelled
   */
  public int shutdown(long waitMillis) throws InterruptedException {
    List<Action> cancelled = scheduler.shutdown("airlockd is shutting down", SIGTERM);
    if (!scheduler.awaitIdle(waitMillis)) {
      log.warning("actions still running after " + waitMillis + " ms of shutdown");
    }
    return cancelled.size();
  }

  @Override
  public void close() {
    timers.shutdownNow();
    runners.shutdown();
    io.shutdown();
  }

  /** Daemon threads with numbered names: they must never keep the JVM alive. */
  private static ThreadFactory named(String prefix) {
    AtomicLong count = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The request as the daemon works with it; a malformed one is refused, saying why. */
  private static ActionRequest decode(ExecuteRequest wire) throws ActionRejectedException {
    try {
      ActionRequest request = ActionRequest.from(wire);
      RequestChecks.check(request);
      return request;
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  /** What to launch: the request's command with the environment its policy lets through. */
  private static LaunchSpec launchSpec(ActionRequest request, EffectivePolicy policy)
      throws ActionRejectedException {
    try {
      return new LaunchSpec(
          request.argv(),
          policy.filterEnvironment(request.env()),
          request.cwd(),
          request.streamStdin());
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  private static ActionRejectedException invalid(String message) {
    return new ActionRejectedException(ErrorCode.INVALID_REQUEST, message);
  }
}
