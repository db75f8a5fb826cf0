package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.Compressor;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.FindMissingBlobsResponse;
import build.bazel.remote.execution.v2.GetTreeRequest;
import build.bazel.remote.execution.v2.GetTreeResponse;
import com.google.protobuf.ByteString;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The CAS service: a thin adapter over {@link BlobStore} and {@link InputTree}. */
final class CasService extends ContentAddressableStorageGrpc.ContentAddressableStorageImplBase {
  /** Directories per GetTree page when the client names no page size. */
  static final int DEFAULT_PAGE = 1000;

  private static final Status OK = Status.newBuilder().setCode(Code.OK.getNumber()).build();

  private final BlobStore blobs;

  CasService(BlobStore blobs) {
    this.blobs = blobs;
  }

  @Override
  public void findMissingBlobs(
      FindMissingBlobsRequest request, StreamObserver<FindMissingBlobsResponse> response) {
    try {
      List<BlobId> asked = new ArrayList<>();
      for (Digest d : request.getBlobDigestsList()) {
        asked.add(BlobId.of(d));
      }
      FindMissingBlobsResponse.Builder missing = FindMissingBlobsResponse.newBuilder();
      blobs.missing(asked).forEach(b -> missing.addMissingBlobDigests(b.toWire()));
      response.onNext(missing.build());
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    }
  }

  @Override
  public void batchUpdateBlobs(
      BatchUpdateBlobsRequest request, StreamObserver<BatchUpdateBlobsResponse> response) {
    long total = 0;
    for (BatchUpdateBlobsRequest.Request r : request.getRequestsList()) {
      total += r.getData().size();
    }
    if (total > CapabilitiesService.MAX_BATCH_BYTES) {
      response.onError(
          GrpcStatuses.exception(
              ReapiException.invalid(
                  "the batch holds "
                      + total
                      + " bytes, more than max_batch_total_size_bytes ("
                      + CapabilitiesService.MAX_BATCH_BYTES
                      + "); use ByteStream")));
      return;
    }
    BatchUpdateBlobsResponse.Builder out = BatchUpdateBlobsResponse.newBuilder();
    for (BatchUpdateBlobsRequest.Request r : request.getRequestsList()) {
      BatchUpdateBlobsResponse.Response.Builder entry =
          BatchUpdateBlobsResponse.Response.newBuilder().setDigest(r.getDigest());
      try {
        if (r.getCompressor() != Compressor.Value.IDENTITY) {
          throw ReapiException.invalid("compressed uploads are not supported");
        }
        blobs.put(BlobId.of(r.getDigest()), r.getData().toByteArray());
        entry.setStatus(OK);
      } catch (ReapiException e) {
        entry.setStatus(GrpcStatuses.of(e));
      } catch (IOException e) {
        entry.setStatus(GrpcStatuses.internalStatus("cannot store a blob", e));
      }
      out.addResponses(entry);
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void batchReadBlobs(
      BatchReadBlobsRequest request, StreamObserver<BatchReadBlobsResponse> response) {
    long total = 0;
    for (Digest d : request.getDigestsList()) {
      total += Math.max(0, d.getSizeBytes());
    }
    if (total > CapabilitiesService.MAX_BATCH_BYTES) {
      response.onError(
          GrpcStatuses.exception(
              ReapiException.invalid(
                  "the blobs asked for add up to "
                      + total
                      + " bytes, more than max_batch_total_size_bytes; use ByteStream")));
      return;
    }
    BatchReadBlobsResponse.Builder out = BatchReadBlobsResponse.newBuilder();
    for (Digest d : request.getDigestsList()) {
      BatchReadBlobsResponse.Response.Builder entry =
          BatchReadBlobsResponse.Response.newBuilder().setDigest(d);
      try {
        entry.setData(ByteString.copyFrom(blobs.read(BlobId.of(d)))).setStatus(OK);
      } catch (ReapiException e) {
        entry.setStatus(GrpcStatuses.of(e));
      } catch (IOException e) {
        entry.setStatus(GrpcStatuses.internalStatus("cannot read a blob", e));
      }
      out.addResponses(entry);
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void getTree(GetTreeRequest request, StreamObserver<GetTreeResponse> response) {
    try {
      InputTree tree = InputTree.load(blobs, BlobId.of(request.getRootDigest()));
      if (!blobs.contains(tree.root())) {
        throw ReapiException.notFound("directory " + tree.root() + " is not in the CAS");
      }
      List<Directory> all = tree.directories();
      int page = request.getPageSize() > 0 ? request.getPageSize() : DEFAULT_PAGE;
      int start = pageStart(request.getPageToken(), all.size());
      // Each page is one response; the rest follows on the same stream.
      for (int at = start; at < all.size() || at == start; at += page) {
        int end = Math.min(all.size(), at + page);
        GetTreeResponse.Builder out =
            GetTreeResponse.newBuilder().addAllDirectories(all.subList(at, end));
        if (end < all.size()) {
          out.setNextPageToken(Integer.toString(end));
        }
        response.onNext(out.build());
        if (end >= all.size()) {
          break;
        }
      }
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    } catch (IOException e) {
      response.onError(GrpcStatuses.internal("cannot read a tree", e));
    }
  }

  private static int pageStart(String token, int size) throws ReapiException {
    if (token.isEmpty()) {
      return 0;
    }
    try {
      int start = Integer.parseInt(token);
      if (start < 0 || start > size) {
        throw ReapiException.invalid("page token '" + token + "' is out of range");
      }
      return start;
    } catch (NumberFormatException e) {
      throw ReapiException.invalid("page token '" + token + "' is not one this server gave");
    }
  }
}
