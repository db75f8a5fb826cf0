package dev.airlock.daemon.cache.remote;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ByteStreamProto.ReadRequest;
import com.google.bytestream.ByteStreamProto.ReadResponse;
import com.google.bytestream.ByteStreamProto.WriteRequest;
import com.google.bytestream.ByteStreamProto.WriteResponse;
import com.google.protobuf.ByteString;
import dev.airlock.daemon.cache.ContentStore;
import dev.airlock.daemon.cache.CorruptBlobException;
import dev.airlock.daemon.cache.Digest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The REAPI calls the remote tier makes (action cache, CAS, ByteStream) over one channel, each
 * bounded by a deadline; a failed call becomes a {@link RemoteCacheException} that names the remote
 * and the gRPC status. Small blobs travel in batches, large ones as ByteStream streams with flow
 * control (a large output is never held in memory whole). Every downloaded blob is verified against
 * its digest before it is stored.
 */
final class CasClient implements AutoCloseable {
  /** Blobs up to this size go in batch calls; the batches stay under gRPC's 4 MiB messages. */
  static final int BATCH_BLOB_LIMIT = 1 << 20;

  private static final int BATCH_TOTAL_LIMIT = 2 << 20;
  private static final int CHUNK = 256 << 10;

  /** A stream's deadline grows with its size: the timeout, plus a second per this many bytes. */
  private static final long STREAM_BYTES_PER_SECOND = 8L << 20;

  /** Where an upload's bytes come from. */
  interface Content {
    InputStream open() throws IOException;
  }

  private final ManagedChannel channel;
  private final RemoteCacheAddress address;
  private final Duration timeout;

  private CasClient(ManagedChannel channel, RemoteCacheAddress address, Duration timeout) {
    this.channel = channel;
    this.address = address;
    this.timeout = timeout;
  }

  /** A client of the remote at {@code address}; connects lazily, on the first call. */
  static CasClient connect(RemoteCacheAddress address, Duration timeout) {
    ChannelCredentials credentials =
        address.tls() ? TlsChannelCredentials.create() : InsecureChannelCredentials.create();
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress(address.host(), address.port(), credentials)
            .maxInboundMessageSize(BATCH_TOTAL_LIMIT * 2)
            .userAgent("airlockd")
            .build();
    return new CasClient(channel, address, timeout);
  }

  /** The result recorded under {@code action}, or empty when the remote has none. */
  Optional<ActionResult> getActionResult(BlobRef action) throws RemoteCacheException {
    try {
      return Optional.of(
          ActionCacheGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .getActionResult(
                  GetActionResultRequest.newBuilder()
                      .setInstanceName(address.instance())
                      .setActionDigest(action.toProto())
                      .build()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw failure("GetActionResult", e);
    }
  }

  void updateActionResult(BlobRef action, ActionResult result) throws RemoteCacheException {
    try {
      ActionCacheGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .updateActionResult(
              UpdateActionResultRequest.newBuilder()
                  .setInstanceName(address.instance())
                  .setActionDigest(action.toProto())
                  .setActionResult(result)
                  .build());
    } catch (StatusRuntimeException e) {
      throw failure("UpdateActionResult", e);
    }
  }

  /** The blobs of {@code blobs} the remote does not hold. */
  Set<BlobRef> findMissing(Collection<BlobRef> blobs) throws RemoteCacheException {
    FindMissingBlobsRequest.Builder request =
        FindMissingBlobsRequest.newBuilder().setInstanceName(address.instance());
    blobs.forEach(b -> request.addBlobDigests(b.toProto()));
    try {
      Set<BlobRef> missing = new LinkedHashSet<>();
      for (build.bazel.remote.execution.v2.Digest d :
          ContentAddressableStorageGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .findMissingBlobs(request.build())
              .getMissingBlobDigestsList()) {
        missing.add(BlobRef.of(d));
      }
      return missing;
    } catch (StatusRuntimeException e) {
      throw failure("FindMissingBlobs", e);
    } catch (IllegalArgumentException e) {
      throw new RemoteCacheException(address + " answered FindMissingBlobs with " + e, false);
    }
  }

  /** Uploads each blob: the small ones in batches, the others streamed. */
  void upload(List<BlobRef> blobs, java.util.function.Function<BlobRef, Content> contents)
      throws RemoteCacheException {
    List<BlobRef> batch = new ArrayList<>();
    long batchBytes = 0;
    for (BlobRef blob : blobs) {
      if (blob.size() > BATCH_BLOB_LIMIT) {
        write(blob, contents.apply(blob));
        continue;
      }
      if (batchBytes + blob.size() > BATCH_TOTAL_LIMIT) {
        batchUpdate(batch, contents);
        batch.clear();
        batchBytes = 0;
      }
      batch.add(blob);
      batchBytes += blob.size();
    }
    if (!batch.isEmpty()) {
      batchUpdate(batch, contents);
    }
  }

  private void batchUpdate(
      List<BlobRef> blobs, java.util.function.Function<BlobRef, Content> contents)
      throws RemoteCacheException {
    BatchUpdateBlobsRequest.Builder request =
        BatchUpdateBlobsRequest.newBuilder().setInstanceName(address.instance());
    for (BlobRef blob : blobs) {
      try (InputStream in = contents.apply(blob).open()) {
        request.addRequests(
            BatchUpdateBlobsRequest.Request.newBuilder()
                .setDigest(blob.toProto())
                .setData(ByteString.readFrom(in)));
      } catch (IOException e) {
        throw new RemoteCacheException("cannot read blob " + blob + " to upload it: " + e, false);
      }
    }
    BatchUpdateBlobsResponse response;
    try {
      response =
          ContentAddressableStorageGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .batchUpdateBlobs(request.build());
    } catch (StatusRuntimeException e) {
      throw failure("BatchUpdateBlobs", e);
    }
    for (BatchUpdateBlobsResponse.Response r : response.getResponsesList()) {
      if (r.getStatus().getCode() != Status.Code.OK.value()) {
        throw new RemoteCacheException(
            address
                + " refused blob "
                + r.getDigest().getHash()
                + ": "
                + Status.fromCodeValue(r.getStatus().getCode()).getCode()
                + " "
                + r.getStatus().getMessage(),
            false);
      }
    }
  }

  /** Streams one blob up (ByteStream Write), sending only as fast as the remote takes it. */
  private void write(BlobRef blob, Content content) throws RemoteCacheException {
    String resource =
        prefix()
            + "uploads/"
            + UUID.randomUUID()
            + "/blobs/"
            + blob.digest().hex()
            + "/"
            + blob.size();
    CompletableFuture<WriteResponse> done = new CompletableFuture<>();
    InputStream in;
    try {
      in = content.open();
    } catch (IOException e) {
      throw new RemoteCacheException("cannot read blob " + blob + " to upload it: " + e, false);
    }
    try (in) {
      ClientResponseObserver<WriteRequest, WriteResponse> observer =
          new ClientResponseObserver<>() {
            private long offset;
            private boolean finished;

            @Override
            public void beforeStart(ClientCallStreamObserver<WriteRequest> out) {
              out.setOnReadyHandler(() -> sendWhileReady(out));
            }

            private synchronized void sendWhileReady(ClientCallStreamObserver<WriteRequest> out) {
              try {
                while (!finished && out.isReady()) {
                  byte[] chunk = in.readNBytes((int) Math.min(CHUNK, blob.size() - offset));
                  boolean last = offset + chunk.length >= blob.size();
                  WriteRequest.Builder request =
                      WriteRequest.newBuilder()
                          .setWriteOffset(offset)
                          .setData(ByteString.copyFrom(chunk))
                          .setFinishWrite(last);
                  if (offset == 0) {
                    request.setResourceName(resource);
                  }
                  out.onNext(request.build());
                  offset += chunk.length;
                  if (!last && chunk.length == 0) {
                    throw new IOException("the blob is shorter than its size " + blob.size());
                  }
                  if (last) {
                    finished = true;
                    out.onCompleted();
                  }
                }
              } catch (IOException | RuntimeException e) {
                finished = true;
                out.onError(Status.CANCELLED.withDescription(e.toString()).asException());
                done.completeExceptionally(e);
              }
            }

            @Override
            public void onNext(WriteResponse response) {
              done.complete(response);
            }

            @Override
            public void onError(Throwable t) {
              done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
              done.completeExceptionally(
                  new IOException("the write stream ended without a response"));
            }
          };
      ByteStreamGrpc.newStub(channel)
          .withDeadlineAfter(streamDeadlineMillis(blob), TimeUnit.MILLISECONDS)
          .write(observer);
      WriteResponse response = await(done, blob, "ByteStream.Write");
      if (response.getCommittedSize() != blob.size()) {
        throw new RemoteCacheException(
            address
                + " committed "
                + response.getCommittedSize()
                + " of the "
                + blob.size()
                + " bytes of blob "
                + blob.digest().hex(),
            false);
      }
    } catch (IOException e) {
      if (e instanceof RemoteCacheException r) {
        throw r;
      }
      throw new RemoteCacheException("cannot upload blob " + blob + ": " + e, false);
    }
  }

  private WriteResponse await(CompletableFuture<WriteResponse> done, BlobRef blob, String call)
      throws RemoteCacheException {
    try {
      return done.get(streamDeadlineMillis(blob) + 1000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RemoteCacheException(call + " to " + address + " was interrupted", true, e);
    } catch (TimeoutException e) {
      throw new RemoteCacheException(call + " to " + address + " timed out", true, e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        throw failure(call, s);
      }
      if (e.getCause() instanceof io.grpc.StatusException s) {
        throw failure(call, new StatusRuntimeException(s.getStatus()));
      }
      throw new RemoteCacheException(
          call + " of blob " + blob + " to " + address + " failed: " + e.getCause(), false, e);
    }
  }

  /**
   * Downloads each blob of {@code blobs} into {@code cas}, verified: the small ones in batches, the
   * others streamed.
   *
   * @throws RemoteCacheException when a blob is missing, or its bytes hash to something else (then
   *     nothing of it is stored)
   */
  void download(List<BlobRef> blobs, ContentStore cas) throws RemoteCacheException {
    List<BlobRef> batch = new ArrayList<>();
    long batchBytes = 0;
    for (BlobRef blob : blobs) {
      if (blob.size() > BATCH_BLOB_LIMIT) {
        read(blob, cas);
        continue;
      }
      if (batchBytes + blob.size() > BATCH_TOTAL_LIMIT) {
        batchRead(batch, cas);
        batch.clear();
        batchBytes = 0;
      }
      batch.add(blob);
      batchBytes += blob.size();
    }
    if (!batch.isEmpty()) {
      batchRead(batch, cas);
    }
  }

  /** One small blob's bytes, verified. */
  byte[] readBytes(BlobRef blob) throws RemoteCacheException {
    if (blob.size() > BATCH_BLOB_LIMIT) {
      throw new RemoteCacheException(
          "blob " + blob + " is too large to be a path set (over " + BATCH_BLOB_LIMIT + " bytes)",
          false);
    }
    return batchRead(List.of(blob), null).get(0);
  }

  private List<byte[]> batchRead(List<BlobRef> blobs, ContentStore cas)
      throws RemoteCacheException {
    BatchReadBlobsRequest.Builder request =
        BatchReadBlobsRequest.newBuilder().setInstanceName(address.instance());
    blobs.forEach(b -> request.addDigests(b.toProto()));
    BatchReadBlobsResponse response;
    try {
      response =
          ContentAddressableStorageGrpc.newBlockingStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .batchReadBlobs(request.build());
    } catch (StatusRuntimeException e) {
      throw failure("BatchReadBlobs", e);
    }
    List<byte[]> read = new ArrayList<>();
    for (BlobRef blob : blobs) {
      BatchReadBlobsResponse.Response r =
          response.getResponsesList().stream()
              .filter(x -> x.getDigest().getHash().equals(blob.digest().hex()))
              .findFirst()
              .orElseThrow(
                  () -> new RemoteCacheException(address + " did not answer for " + blob, false));
      if (r.getStatus().getCode() != Status.Code.OK.value()) {
        throw new RemoteCacheException(
            address
                + " cannot serve blob "
                + blob
                + ": "
                + Status.fromCodeValue(r.getStatus().getCode()).getCode(),
            false);
      }
      byte[] data = r.getData().toByteArray();
      Digest actual = Digest.sha256(data);
      if (!actual.equals(blob.digest())) {
        throw corrupt(blob, actual);
      }
      if (cas != null) {
        store(cas, new ByteArrayInputStream(data), blob);
      }
      read.add(data);
    }
    return read;
  }

  /** Streams one blob down (ByteStream Read) into {@code cas}, hashing as it goes. */
  private void read(BlobRef blob, ContentStore cas) throws RemoteCacheException {
    Iterator<ReadResponse> chunks;
    try {
      chunks =
          ByteStreamGrpc.newBlockingStub(channel)
              .withDeadlineAfter(streamDeadlineMillis(blob), TimeUnit.MILLISECONDS)
              .read(
                  ReadRequest.newBuilder()
                      .setResourceName(
                          prefix() + "blobs/" + blob.digest().hex() + "/" + blob.size())
                      .build());
      store(cas, new ChunkStream(chunks), blob);
    } catch (StatusRuntimeException e) {
      throw failure("ByteStream.Read", e);
    }
  }

  private void store(ContentStore cas, InputStream in, BlobRef blob) throws RemoteCacheException {
    try {
      cas.putExpecting(in, blob.digest());
    } catch (CorruptBlobException e) {
      throw corrupt(blob, e.actual());
    } catch (IOException e) {
      throw new RemoteCacheException("cannot store blob " + blob + " locally: " + e, false, e);
    }
  }

  private RemoteCacheException corrupt(BlobRef blob, Digest actual) {
    return new RemoteCacheException(
        "blob "
            + blob.digest().hex()
            + " from "
            + address
            + " is corrupt: its bytes hash to "
            + actual.hex()
            + "; not used",
        false);
  }

  private String prefix() {
    return address.instance().isEmpty() ? "" : address.instance() + "/";
  }

  private long streamDeadlineMillis(BlobRef blob) {
    return timeout.toMillis() + 1000 * (blob.size() / STREAM_BYTES_PER_SECOND);
  }

  /** A failed call: the remote is down, slow or refuses (UNAVAILABLE, DEADLINE_EXCEEDED, ...). */
  private RemoteCacheException failure(String call, StatusRuntimeException e) {
    Status s = e.getStatus();
    boolean unreachable =
        switch (s.getCode()) {
          case NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> false;
          default -> true;
        };
    String detail = s.getDescription() == null ? "" : ": " + s.getDescription();
    if (s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      detail = ": no answer within " + timeout.toMillis() + " ms";
    }
    return new RemoteCacheException(
        "remote cache " + address + ": " + call + " failed with " + s.getCode() + detail,
        unreachable,
        e);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A ByteStream read's chunks as one stream. */
  private static final class ChunkStream extends InputStream {
    private final Iterator<ReadResponse> chunks;
    private ByteString current = ByteString.EMPTY;
    private int position;

    ChunkStream(Iterator<ReadResponse> chunks) {
      this.chunks = chunks;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      while (position == current.size()) {
        if (!chunks.hasNext()) {
          return -1;
        }
        current = chunks.next().getData();
        position = 0;
      }
      int n = Math.min(len, current.size() - position);
      current.substring(position, position + n).copyTo(b, off);
      position += n;
      return n;
    }
  }
}
