package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ExecuteOperationMetadata;
import build.bazel.remote.execution.v2.ExecuteRequest;
import build.bazel.remote.execution.v2.ExecutionGrpc;
import build.bazel.remote.execution.v2.WaitExecutionRequest;
import com.google.longrunning.Operation;
import com.google.protobuf.Any;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;

/**
 * Execute and WaitExecution: each streams the operation's stages (queued, executing) and ends with
 * the completed one. A thin adapter over {@link RemoteExecution}; a client that cancels its last
 * stream cancels the action.
 */
final class ExecutionService extends ExecutionGrpc.ExecutionImplBase {
  private final RemoteExecution executions;

  ExecutionService(RemoteExecution executions) {
    this.executions = executions;
  }

  @Override
  public void execute(ExecuteRequest request, StreamObserver<Operation> response) {
    ExecuteOperation op;
    try {
      op = executions.execute(request);
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
      return;
    } catch (IOException e) {
      response.onError(GrpcStatuses.internal("cannot read the action", e));
      return;
    }
    follow(op, response);
  }

  @Override
  public void waitExecution(WaitExecutionRequest request, StreamObserver<Operation> response) {
    Optional<ExecuteOperation> op = executions.find(request.getName());
    if (op.isEmpty()) {
      response.onError(
          GrpcStatuses.exception(
              ReapiException.notFound("no operation named '" + request.getName() + "'")));
      return;
    }
    follow(op.get(), response);
  }

  /** Streams the operation's changes to one caller until it completes or the caller leaves. */
  private static void follow(ExecuteOperation op, StreamObserver<Operation> response) {
    ServerCallStreamObserver<Operation> call = (ServerCallStreamObserver<Operation>) response;
    ExecuteOperation.Watcher watcher =
        new ExecuteOperation.Watcher() {
          private int lastStage = -1;
          private boolean finished;

          @Override
          public synchronized void changed(ExecuteOperation.Snapshot s) {
            // Changes may arrive from several threads: never send a stage twice or backwards.
            if (finished || call.isCancelled()) {
              return;
            }
            if (!s.done() && s.stage().getNumber() <= lastStage) {
              return;
            }
            lastStage = s.stage().getNumber();
            call.onNext(operation(s));
            if (s.done()) {
              finished = true;
              call.onCompleted();
            }
          }
        };
    call.setOnCancelHandler(() -> op.unwatch(watcher));
    op.watch(watcher);
    if (op.snapshot().done()) {
      op.unwatch(watcher);
    }
  }

  static Operation operation(ExecuteOperation.Snapshot s) {
    Operation.Builder op =
        Operation.newBuilder()
            .setName(s.name())
            .setMetadata(
                Any.pack(
                    ExecuteOperationMetadata.newBuilder()
                        .setStage(s.stage())
                        .setActionDigest(s.action().toWire())
                        .build()))
            .setDone(s.done());
    s.response().ifPresent(r -> op.setResponse(Any.pack(r)));
    return op.build();
  }
}
