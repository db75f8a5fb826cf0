package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.Optional;

/** The action cache service: a thin adapter over {@link RemoteActionCache}. */
final class ActionCacheService extends ActionCacheGrpc.ActionCacheImplBase {
  /** Inlined output is kept below gRPC's message limit. */
  private static final long MAX_INLINE = 1L << 20;

  private final RemoteActionCache cache;
  private final BlobStore blobs;

  ActionCacheService(RemoteActionCache cache, BlobStore blobs) {
    this.cache = cache;
    this.blobs = blobs;
  }

  @Override
  public void getActionResult(
      GetActionResultRequest request, StreamObserver<ActionResult> response) {
    try {
      BlobId action = BlobId.of(request.getActionDigest());
      Optional<ActionResult> hit = cache.get(action);
      if (hit.isEmpty()) {
        throw ReapiException.notFound("no result for action " + action);
      }
      ActionResult.Builder result = hit.get().toBuilder();
      if (request.getInlineStdout() && result.hasStdoutDigest()) {
        inline(BlobId.of(result.getStdoutDigest())).ifPresent(result::setStdoutRaw);
      }
      if (request.getInlineStderr() && result.hasStderrDigest()) {
        inline(BlobId.of(result.getStderrDigest())).ifPresent(result::setStderrRaw);
      }
      response.onNext(result.build());
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    } catch (IOException e) {
      response.onError(GrpcStatuses.internal("cannot read the action cache", e));
    }
  }

  @Override
  public void updateActionResult(
      UpdateActionResultRequest request, StreamObserver<ActionResult> response) {
    try {
      BlobId action = BlobId.of(request.getActionDigest());
      cache.put(action, request.getActionResult());
      response.onNext(request.getActionResult());
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    } catch (IOException e) {
      response.onError(GrpcStatuses.internal("cannot write the action cache", e));
    }
  }

  private Optional<ByteString> inline(BlobId blob) throws IOException, ReapiException {
    return blob.size() > MAX_INLINE
        ? Optional.empty()
        : Optional.of(ByteString.copyFrom(blobs.read(blob)));
  }
}
