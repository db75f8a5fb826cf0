package dev.airlock.daemon.action;

import static dev.airlock.protocol.Signals.SIGKILL;

import dev.airlock.protocol.AccessBatch;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.Started;
import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.ExitStatus;
import dev.airlock.sandbox.linux.LaunchFailure;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.Tracer;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Runs one action's command traced, from spawn to the last tracee: the launcher is spawned and
 * seized on the calling thread (ptrace requests must come from it), output and stdin are pumped on
 * pooled threads, and the access record is streamed once the command ended. The same for every
 * front end.
 */
final class TracedRun {
  private static final Logger log = Logger.getLogger(TracedRun.class.getName());

  /** How long output may keep flowing after the main process ended before it is cut off. */
  private static final long OUTPUT_DRAIN_GRACE_MS = 2_000;

  private final Action action;
  private final Launcher launcher;
  private final ExecutorService io;
  private final ActionListener listener;

  /**
   * @param listener where the run's events go: the action's listener, or nowhere for a run whose
   *     output the client must not see twice
   */
  TracedRun(Action action, Launcher launcher, ExecutorService io, ActionListener listener) {
    this.action = action;
    this.launcher = launcher;
    this.io = io;
    this.listener = listener;
  }

  /** Runs the command traced by {@code tracing}, confined by {@code confinement}. */
  RunRecord run(Tracing tracing, Confinement confinement, List<String> layers)
      throws ErrnoException, InterruptedException {
    OutputCapture capture = new OutputCapture(Cacheability.MAX_CAPTURED_OUTPUT);
    Tracer tracer = tracing.tracer();
    try (LaunchedProcess process =
        launcher.launchTraced(action.spec(), tracing.filter(), confinement, tracing.injection())) {
      // Seized before the action can be cancelled: a cancelled launcher could no longer be.
      try {
        tracer.seize(process);
      } catch (ErrnoException e) {
        // The launcher may already have failed (a missing working directory) and exited, which
        // is why it could not be seized; otherwise it waits forever. Kill and reap it, and
        // report its own failure if it had one.
        process.signalGroup(SIGKILL);
        ExitStatus status = process.awaitExit();
        Optional<LaunchFailure> failure = process.launchFailure();
        if (failure.isPresent()) {
          return new RunRecord(status, failure, Optional.empty(), capture, layers);
        }
        throw e;
      }
      action.attach(process);
      deliver(ActionEvent.newBuilder().setStarted(Started.newBuilder().setPid(process.pid())));
      Future<?> output =
          new OutputPump(
                  action.id(),
                  process.outputReader(Protocol.MAX_OUTPUT_CHUNK_BYTES),
                  listener,
                  capture)
              .start(io);
      Future<?> stdin = startStdinPump(process);

      TraceResult trace;
      try (LayerWatcher watcher =
          LayerWatcher.start(
              action,
              DiskQuota.of(action.policy().limits()),
              confinement.overlays().stream().map(Confinement.Overlay::upper).toList())) {
        trace = tracer.run(process);
      }

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
        deliver(ActionEvent.newBuilder().setAccesses(batch));
      }
      return new RunRecord(
          trace.rootStatus(), process.launchFailure(), Optional.of(trace), capture, layers);
    }
  }

  private void deliver(ActionEvent.Builder event) {
    listener.deliver(event.setActionId(action.id()).build());
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
    Optional<OutputStream> pipe = process.stdin();
    if (feed.isEmpty() || pipe.isEmpty()) {
      return null;
    }
    return io.submit(
        () -> {
          try (OutputStream out = pipe.get()) {
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
