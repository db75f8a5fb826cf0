package dev.airlock.tests.reapi;

import static org.junit.jupiter.api.Assertions.assertEquals;

import build.bazel.remote.execution.v2.Action;
import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.Command;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.ExecuteRequest;
import build.bazel.remote.execution.v2.ExecuteResponse;
import build.bazel.remote.execution.v2.ExecutionGrpc;
import com.google.bytestream.ByteStreamGrpc;
import com.google.longrunning.Operation;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.grpc.ManagedChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;

/** The test's own REAPI client: blocking stubs and helpers to store blobs and run actions. */
final class RemoteClient {
  final CapabilitiesGrpc.CapabilitiesBlockingStub capabilities;
  final ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas;
  final ByteStreamGrpc.ByteStreamBlockingStub byteStream;
  final ByteStreamGrpc.ByteStreamStub byteStreamAsync;
  final ActionCacheGrpc.ActionCacheBlockingStub actionCache;
  final ExecutionGrpc.ExecutionBlockingStub execution;
  final ExecutionGrpc.ExecutionStub executionAsync;

  RemoteClient(ManagedChannel channel) {
    capabilities = CapabilitiesGrpc.newBlockingStub(channel);
    cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
    byteStream = ByteStreamGrpc.newBlockingStub(channel);
    byteStreamAsync = ByteStreamGrpc.newStub(channel);
    actionCache = ActionCacheGrpc.newBlockingStub(channel);
    execution = ExecutionGrpc.newBlockingStub(channel);
    executionAsync = ExecutionGrpc.newStub(channel);
  }

  static Digest digest(byte[] data) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(data);
      return Digest.newBuilder()
          .setHash(HexFormat.of().formatHex(hash))
          .setSizeBytes(data.length)
          .build();
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static Digest digest(String text) {
    return digest(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Stores blobs with one BatchUpdateBlobs call; every one must succeed. */
  Digest put(byte[] data) {
    Digest d = digest(data);
    BatchUpdateBlobsResponse r =
        cas.batchUpdateBlobs(
            BatchUpdateBlobsRequest.newBuilder()
                .addRequests(
                    BatchUpdateBlobsRequest.Request.newBuilder()
                        .setDigest(d)
                        .setData(ByteString.copyFrom(data)))
                .build());
    assertEquals(0, r.getResponses(0).getStatus().getCode(), r.toString());
    return d;
  }

  Digest put(String text) {
    return put(text.getBytes(StandardCharsets.UTF_8));
  }

  Digest put(Message message) {
    return put(message.toByteArray());
  }

  byte[] read(Digest d) {
    return cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder().addDigests(d).build())
        .getResponses(0)
        .getData()
        .toByteArray();
  }

  /** Stores the Command, the Action and returns the Action's digest. */
  Digest action(Command command, Directory root, Action.Builder action) {
    return put(action.setCommandDigest(put(command)).setInputRootDigest(put(root)).build());
  }

  /** A Command running {@code script} with sh, with PATH set. */
  static Command.Builder sh(String script) {
    return Command.newBuilder()
        .addAllArguments(List.of("/bin/sh", "-c", script))
        .addEnvironmentVariables(
            Command.EnvironmentVariable.newBuilder().setName("PATH").setValue("/usr/bin:/bin"));
  }

  /** Runs an Execute call to its end and returns its last (done) operation. */
  Operation execute(ExecuteRequest request) {
    Iterator<Operation> ops = execution.execute(request);
    Operation last = null;
    while (ops.hasNext()) {
      last = ops.next();
    }
    return last;
  }

  Operation execute(Digest action) {
    return execute(ExecuteRequest.newBuilder().setActionDigest(action).build());
  }

  static ExecuteResponse response(Operation op) {
    try {
      return op.getResponse().unpack(ExecuteResponse.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }
}
