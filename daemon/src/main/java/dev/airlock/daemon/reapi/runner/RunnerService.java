package dev.airlock.daemon.reapi.runner;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import dev.airlock.daemon.action.Action;
import dev.airlock.daemon.action.ActionRejectedException;
import dev.airlock.daemon.action.ActionService;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Signals;
import dev.airlock.protocol.buildbarn.runner.CheckReadinessRequest;
import dev.airlock.protocol.buildbarn.runner.RunRequest;
import dev.airlock.protocol.buildbarn.runner.RunResponse;
import dev.airlock.protocol.buildbarn.runner.RunnerGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.logging.Logger;

/**
 * Buildbarn's runner service: bb_worker prepares a build directory per action and asks Airlock to
 * run the command in it. A thin adapter: {@link BuildDirectoryRun} checks the request, the action
 * service runs it (traced, under the runner's policy, in its scheduler), the call's cancellation
 * (bb_worker's deadline is the action's timeout) cancels the action.
 */
public final class RunnerService extends RunnerGrpc.RunnerImplBase {
  private static final Logger log = Logger.getLogger(RunnerService.class.getName());

  /** The access record's name in the server logs directory. */
  static final String ACCESS_LOG = "airlock-access-record";

  private final ActionService actions;
  private final Path buildDir;
  private final String policy;

  /**
   * @param buildDir the directory bb_worker's run requests are relative to
   * @param policy the shipped policy or policy file each action runs under, extended to write its
   *     input root (copy-on-write) and temporary directory
   */
  public RunnerService(ActionService actions, Path buildDir, String policy) {
    this.actions = actions;
    this.buildDir = buildDir;
    this.policy = policy;
  }

  @Override
  public void checkReadiness(CheckReadinessRequest request, StreamObserver<Empty> response) {
    try {
      Path p = BuildDirectoryRun.inside(buildDir, "path", request.getPath());
      if (!Files.isDirectory(p)) {
        response.onError(
            Status.UNAVAILABLE.withDescription(p + " is not a directory").asRuntimeException());
        return;
      }
      response.onNext(Empty.getDefaultInstance());
      response.onCompleted();
    } catch (IllegalArgumentException e) {
      response.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void run(RunRequest request, StreamObserver<RunResponse> response) {
    ServerCallStreamObserver<RunResponse> call = (ServerCallStreamObserver<RunResponse>) response;
    BuildDirectoryRun run;
    try {
      run = BuildDirectoryRun.of(buildDir, request);
    } catch (IllegalArgumentException e) {
      response.onError(
          Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    try (RunCapture capture = new RunCapture(run.stdout(), run.stderr())) {
      Action action = actions.submit(run.toAirlock(policy), capture);
      call.setOnCancelHandler(
          () -> actions.cancel(action, "bb_worker cancelled the run", Signals.SIGTERM));
      ActionResult result = capture.result().get();
      if (run.serverLogs().isPresent()) {
        Files.write(run.serverLogs().get().resolve(ACCESS_LOG), capture.accessRecord(result));
      }
      answer(result, call);
    } catch (ActionRejectedException e) {
      response.onError(Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException());
    } catch (IOException e) {
      log.warning("runner: " + e.getMessage());
      response.onError(Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response.onError(Status.CANCELLED.asRuntimeException());
    } catch (ExecutionException e) {
      response.onError(Status.INTERNAL.withCause(e.getCause()).asRuntimeException());
    }
  }

  /** Maps Airlock's outcome to bb_worker's terms: an exit code, or a status for the worker. */
  private static void answer(ActionResult result, ServerCallStreamObserver<RunResponse> call) {
    if (call.isCancelled()) {
      return;
    }
    Status failure =
        switch (result.getOutcome()) {
          case COMPLETED -> null;
          // As Buildbarn's own runner says it: the command could not be started.
          case EXEC_FAILED ->
              Status.INVALID_ARGUMENT.withDescription(
                  "Failed to start process: " + result.getMessage());
          case POLICY_VIOLATION -> Status.PERMISSION_DENIED.withDescription(result.getMessage());
          case CANCELLED -> Status.CANCELLED.withDescription(result.getMessage());
          case TIMED_OUT -> Status.DEADLINE_EXCEEDED.withDescription(result.getMessage());
          case LIMIT_EXCEEDED -> Status.RESOURCE_EXHAUSTED.withDescription(result.getMessage());
          default -> Status.INTERNAL.withDescription(result.getMessage());
        };
    if (failure != null) {
      call.onError(failure.asRuntimeException());
      return;
    }
    long exit =
        result.getTerminationCase() == ActionResult.TerminationCase.SIGNAL
            ? 128 + result.getSignal()
            : result.getExitCode();
    call.onNext(
        RunResponse.newBuilder()
            .setExitCode(exit)
            .addResourceUsage(Any.pack(result.getUsage()))
            .addResourceUsage(Any.pack(result.getAccessReport()))
            .build());
    call.onCompleted();
  }
}
