package dev.airlock.tests.reapi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.GetTreeRequest;
import build.bazel.remote.execution.v2.GetTreeResponse;
import build.bazel.remote.execution.v2.ServerCapabilities;
import com.google.bytestream.ByteStreamProto.QueryWriteStatusRequest;
import com.google.bytestream.ByteStreamProto.QueryWriteStatusResponse;
import com.google.bytestream.ByteStreamProto.ReadRequest;
import com.google.bytestream.ByteStreamProto.ReadResponse;
import com.google.bytestream.ByteStreamProto.WriteRequest;
import com.google.bytestream.ByteStreamProto.WriteResponse;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CAS, ByteStream and Capabilities of a real airlockd, through a Java gRPC client: what Bazel
 * never calls (batches, GetTree, QueryWriteStatus and resumed writes) and what no client should get
 * away with (wrong digests, truncated and oversized uploads, unknown blobs, malformed names).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ReapiCasTest {
  @TempDir static Path dir;
  static ReapiDaemon daemon;
  static RemoteClient client;

  @BeforeAll
  static void start() throws Exception {
    daemon = ReapiDaemon.start(dir);
    client = new RemoteClient(daemon.channel());
  }

  @AfterAll
  static void stop() throws Exception {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void capabilitiesSaySha256ExecutionAndCacheUpdates() {
    ServerCapabilities caps =
        client.capabilities.getCapabilities(GetCapabilitiesRequest.getDefaultInstance());
    assertEquals(
        List.of(DigestFunction.Value.SHA256), caps.getCacheCapabilities().getDigestFunctionsList());
    assertTrue(caps.getCacheCapabilities().getActionCacheUpdateCapabilities().getUpdateEnabled());
    assertTrue(caps.getExecutionCapabilities().getExecEnabled());
    assertEquals(2, caps.getLowApiVersion().getMajor());
    assertTrue(caps.getCacheCapabilities().getMaxBatchTotalSizeBytes() > 0);
  }

  @Test
  void batchUpdateStoresVerifiedBlobsAndRefusesWrongOnes() {
    byte[] good = "good blob".getBytes(StandardCharsets.UTF_8);
    byte[] bad = "bad blob".getBytes(StandardCharsets.UTF_8);
    Digest claimed = RemoteClient.digest("something else entirely");
    BatchUpdateBlobsResponse r =
        client.cas.batchUpdateBlobs(
            BatchUpdateBlobsRequest.newBuilder()
                .addRequests(request(RemoteClient.digest(good), good))
                .addRequests(request(claimed, bad))
                .addRequests(
                    request(RemoteClient.digest(good).toBuilder().setSizeBytes(3).build(), good))
                .build());
    assertEquals(Code.OK.getNumber(), r.getResponses(0).getStatus().getCode());
    assertEquals(Code.INVALID_ARGUMENT.getNumber(), r.getResponses(1).getStatus().getCode());
    assertEquals(Code.INVALID_ARGUMENT.getNumber(), r.getResponses(2).getStatus().getCode());
    // Nothing is stored under the claimed name, and the bytes are not stored under their own.
    List<Digest> missing =
        client
            .cas
            .findMissingBlobs(
                FindMissingBlobsRequest.newBuilder()
                    .addBlobDigests(RemoteClient.digest(good))
                    .addBlobDigests(claimed)
                    .addBlobDigests(RemoteClient.digest(bad))
                    .build())
            .getMissingBlobDigestsList();
    assertEquals(List.of(claimed, RemoteClient.digest(bad)), missing);

    BatchReadBlobsResponse read =
        client.cas.batchReadBlobs(
            BatchReadBlobsRequest.newBuilder()
                .addDigests(RemoteClient.digest(good))
                .addDigests(claimed)
                .build());
    assertArrayEquals(good, read.getResponses(0).getData().toByteArray());
    assertEquals(Code.NOT_FOUND.getNumber(), read.getResponses(1).getStatus().getCode());
  }

  @Test
  void malformedDigestsAreInvalidArguments() {
    for (Digest bad :
        List.of(
            Digest.newBuilder().setHash("abc").setSizeBytes(1).build(),
            Digest.newBuilder().setHash("A".repeat(64)).setSizeBytes(1).build(),
            Digest.newBuilder().setHash("a".repeat(64)).setSizeBytes(-1).build())) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  client.cas.findMissingBlobs(
                      FindMissingBlobsRequest.newBuilder().addBlobDigests(bad).build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad.toString());
    }
  }

  @Test
  void byteStreamWritesAndReadsWithInstanceNamesOffsetsAndLimits() throws Exception {
    byte[] data = randomBytes(300_000);
    Digest d = RemoteClient.digest(data);
    WriteResponse written =
        write(
            "main/ci/uploads/" + UUID.randomUUID() + "/blobs/" + name(d),
            data,
            0,
            data.length,
            true);
    assertEquals(data.length, written.getCommittedSize());
    assertArrayEquals(data, read("main/ci/blobs/" + name(d), 0, 0));
    assertArrayEquals(
        java.util.Arrays.copyOfRange(data, 1000, 71_000), read("blobs/" + name(d), 1000, 70_000));
    // Trailing metadata after the size is allowed in upload names.
    Digest small = RemoteClient.digest("x");
    write(
        "uploads/" + UUID.randomUUID() + "/blobs/" + name(small) + "/meta/data",
        "x".getBytes(StandardCharsets.UTF_8),
        0,
        1,
        true);
    assertArrayEquals("x".getBytes(StandardCharsets.UTF_8), read("blobs/" + name(small), 0, 0));
  }

  @Test
  void anInterruptedUploadResumesWhereQueryWriteStatusSaysItStopped() throws Exception {
    byte[] data = randomBytes(200_000);
    Digest d = RemoteClient.digest(data);
    String resource = "uploads/" + UUID.randomUUID() + "/blobs/" + name(d);
    // The first stream ends without finish_write: the server says so, and keeps what it got.
    StatusRuntimeException cut =
        assertThrows(StatusRuntimeException.class, () -> write(resource, data, 0, 120_000, false));
    assertEquals(Status.Code.INVALID_ARGUMENT, cut.getStatus().getCode());
    QueryWriteStatusResponse status =
        client.byteStream.queryWriteStatus(
            QueryWriteStatusRequest.newBuilder().setResourceName(resource).build());
    assertEquals(120_000, status.getCommittedSize());
    assertFalse(status.getComplete());
    // Writing from another offset is refused; from the committed size it completes.
    StatusRuntimeException wrongOffset =
        assertThrows(
            StatusRuntimeException.class, () -> write(resource, data, 100_000, 200_000, true));
    assertEquals(Status.Code.OUT_OF_RANGE, wrongOffset.getStatus().getCode());
    write(resource, data, 120_000, data.length, true);
    status =
        client.byteStream.queryWriteStatus(
            QueryWriteStatusRequest.newBuilder().setResourceName(resource).build());
    assertTrue(status.getComplete());
    assertEquals(data.length, status.getCommittedSize());
    assertArrayEquals(data, read("blobs/" + name(d), 0, 0));
  }

  @Test
  void truncatedOversizedAndWrongUploadsStoreNothing() {
    byte[] data = randomBytes(50_000);
    Digest d = RemoteClient.digest(data);
    StatusRuntimeException truncated =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                write("uploads/" + UUID.randomUUID() + "/blobs/" + name(d), data, 0, 40_000, true));
    assertEquals(Status.Code.INVALID_ARGUMENT, truncated.getStatus().getCode());

    Digest shorter = d.toBuilder().setSizeBytes(10_000).build();
    StatusRuntimeException oversized =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                write(
                    "uploads/" + UUID.randomUUID() + "/blobs/" + name(shorter),
                    data,
                    0,
                    data.length,
                    true));
    assertEquals(Status.Code.INVALID_ARGUMENT, oversized.getStatus().getCode());

    byte[] other = data.clone();
    other[25_000] ^= 1;
    StatusRuntimeException wrong =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                write(
                    "uploads/" + UUID.randomUUID() + "/blobs/" + name(d),
                    other,
                    0,
                    other.length,
                    true));
    assertEquals(Status.Code.INVALID_ARGUMENT, wrong.getStatus().getCode());
    assertTrue(wrong.getStatus().getDescription().contains("nothing stored"));

    assertEquals(
        List.of(d, RemoteClient.digest(other)),
        client
            .cas
            .findMissingBlobs(
                FindMissingBlobsRequest.newBuilder()
                    .addBlobDigests(d)
                    .addBlobDigests(RemoteClient.digest(other))
                    .build())
            .getMissingBlobDigestsList());
  }

  @Test
  void unknownBlobsAndMalformedResourceNames() {
    Digest unknown = RemoteClient.digest("never stored " + UUID.randomUUID());
    StatusRuntimeException notFound =
        assertThrows(StatusRuntimeException.class, () -> read("blobs/" + name(unknown), 0, 0));
    assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode());
    for (String bad :
        List.of(
            "",
            "blobs/" + unknown.getHash(),
            "blobs/xyz/3",
            "blobs/" + unknown.getHash() + "/-4",
            "blobs/" + unknown.getHash() + "/ten",
            "operations/blobs/" + name(unknown),
            "compressed-blobs/zstd/" + name(unknown),
            "nothing/here")) {
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> read(bad, 0, 0), bad);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
    }
    for (String bad :
        List.of("blobs/" + name(unknown), "uploads//blobs/" + name(unknown), "uploads/x/y/z")) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class, () -> write(bad, new byte[] {1}, 0, 1, true), bad);
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), bad);
    }
    Digest stored = client.put("stored for a bad offset");
    StatusRuntimeException offset =
        assertThrows(StatusRuntimeException.class, () -> read("blobs/" + name(stored), 1000, 0));
    assertEquals(Status.Code.OUT_OF_RANGE, offset.getStatus().getCode());
  }

  @Test
  void concurrentUploadsOfOneBlobAllSucceed() throws Exception {
    byte[] data = randomBytes(1_000_000);
    Digest d = RemoteClient.digest(data);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<WriteResponse>> writes = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        writes.add(
            pool.submit(
                () ->
                    write(
                        "uploads/" + UUID.randomUUID() + "/blobs/" + name(d),
                        data,
                        0,
                        data.length,
                        true)));
      }
      for (Future<WriteResponse> w : writes) {
        assertEquals(data.length, w.get(60, TimeUnit.SECONDS).getCommittedSize());
      }
    } finally {
      pool.shutdownNow();
    }
    assertArrayEquals(data, read("blobs/" + name(d), 0, 0));
  }

  @Test
  void getTreeReturnsEveryDirectoryInPages() {
    Digest file = client.put("leaf");
    Directory leaf =
        Directory.newBuilder().addFiles(FileNode.newBuilder().setName("f").setDigest(file)).build();
    Directory middle =
        Directory.newBuilder()
            .addDirectories(DirectoryNode.newBuilder().setName("c").setDigest(client.put(leaf)))
            .build();
    Directory top =
        Directory.newBuilder()
            .addDirectories(DirectoryNode.newBuilder().setName("a").setDigest(client.put(middle)))
            .addDirectories(DirectoryNode.newBuilder().setName("b").setDigest(client.put(leaf)))
            .build();
    Digest root = client.put(top);
    List<Directory> all = new ArrayList<>();
    List<String> tokens = new ArrayList<>();
    Iterator<GetTreeResponse> pages =
        client.cas.getTree(GetTreeRequest.newBuilder().setRootDigest(root).setPageSize(1).build());
    pages.forEachRemaining(
        p -> {
          all.addAll(p.getDirectoriesList());
          tokens.add(p.getNextPageToken());
        });
    // Each directory once (the leaf is shared), breadth-first from the root.
    assertEquals(List.of(top, middle, leaf), all);
    assertEquals("", tokens.get(tokens.size() - 1));
    // A page token resumes where it points.
    List<Directory> rest = new ArrayList<>();
    client
        .cas
        .getTree(
            GetTreeRequest.newBuilder().setRootDigest(root).setPageToken(tokens.get(0)).build())
        .forEachRemaining(p -> rest.addAll(p.getDirectoriesList()));
    assertEquals(List.of(middle, leaf), rest);

    StatusRuntimeException missing =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                client
                    .cas
                    .getTree(
                        GetTreeRequest.newBuilder()
                            .setRootDigest(RemoteClient.digest("no such directory"))
                            .build())
                    .hasNext());
    assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
  }

  private static BatchUpdateBlobsRequest.Request request(Digest d, byte[] data) {
    return BatchUpdateBlobsRequest.Request.newBuilder()
        .setDigest(d)
        .setData(ByteString.copyFrom(data))
        .build();
  }

  static String name(Digest d) {
    return d.getHash() + "/" + d.getSizeBytes();
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static byte[] read(String resource, long offset, long limit) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    client
        .byteStream
        .read(
            ReadRequest.newBuilder()
                .setResourceName(resource)
                .setReadOffset(offset)
                .setReadLimit(limit)
                .build())
        .forEachRemaining((ReadResponse r) -> out.writeBytes(r.getData().toByteArray()));
    return out.toByteArray();
  }

  /** Writes data[from, to) in 16 KiB messages at offset {@code from}; finishes if asked. */
  static WriteResponse write(String resource, byte[] data, int from, int to, boolean finish) {
    CompletableFuture<WriteResponse> done = new CompletableFuture<>();
    StreamObserver<WriteRequest> out =
        client.byteStreamAsync.write(
            new StreamObserver<>() {
              @Override
              public void onNext(WriteResponse value) {
                done.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    int at = from;
    do {
      int end = Math.min(to, at + 16 * 1024);
      out.onNext(
          WriteRequest.newBuilder()
              .setResourceName(at == from ? resource : "")
              .setWriteOffset(at)
              .setData(ByteString.copyFrom(data, at, end - at))
              .setFinishWrite(finish && end == to)
              .build());
      at = end;
    } while (at < to);
    out.onCompleted();
    try {
      return done.get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (StatusRuntimeException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
