package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.ActionCacheUpdateCapabilities;
import build.bazel.remote.execution.v2.CacheCapabilities;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.ExecutionCapabilities;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.ServerCapabilities;
import build.bazel.remote.execution.v2.SymlinkAbsolutePathStrategy;
import build.bazel.semver.SemVer;
import io.grpc.stub.StreamObserver;

/**
 * What Airlock serves: SHA-256 only, action-cache updates, execution, batches up to {@link
 * #MAX_BATCH_BYTES}, API 2.0 to 2.3.
 */
final class CapabilitiesService extends CapabilitiesGrpc.CapabilitiesImplBase {
  /** The largest batch request, in bytes of blob data. */
  static final long MAX_BATCH_BYTES = 4L << 20;

  static final ServerCapabilities CAPABILITIES =
      ServerCapabilities.newBuilder()
          .setCacheCapabilities(
              CacheCapabilities.newBuilder()
                  .addDigestFunctions(DigestFunction.Value.SHA256)
                  .setActionCacheUpdateCapabilities(
                      ActionCacheUpdateCapabilities.newBuilder().setUpdateEnabled(true))
                  .setMaxBatchTotalSizeBytes(MAX_BATCH_BYTES)
                  .setSymlinkAbsolutePathStrategy(SymlinkAbsolutePathStrategy.Value.ALLOWED))
          .setExecutionCapabilities(
              ExecutionCapabilities.newBuilder()
                  .setDigestFunction(DigestFunction.Value.SHA256)
                  .addDigestFunctions(DigestFunction.Value.SHA256)
                  .setExecEnabled(true))
          .setLowApiVersion(SemVer.newBuilder().setMajor(2))
          .setHighApiVersion(SemVer.newBuilder().setMajor(2).setMinor(3))
          .build();

  @Override
  public void getCapabilities(
      GetCapabilitiesRequest request, StreamObserver<ServerCapabilities> response) {
    response.onNext(CAPABILITIES);
    response.onCompleted();
  }
}
