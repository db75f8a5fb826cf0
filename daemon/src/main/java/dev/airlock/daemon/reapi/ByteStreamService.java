package dev.airlock.daemon.reapi;

import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ByteStreamProto.QueryWriteStatusRequest;
import com.google.bytestream.ByteStreamProto.QueryWriteStatusResponse;
import com.google.bytestream.ByteStreamProto.ReadRequest;
import com.google.bytestream.ByteStreamProto.ReadResponse;
import com.google.bytestream.ByteStreamProto.WriteRequest;
import com.google.bytestream.ByteStreamProto.WriteResponse;
import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * ByteStream over the CAS: reads stream a blob in chunks from an offset, writes go through {@link
 * Uploads} (verified, resumable). A thin adapter: names are parsed by {@link ResourceName}.
 */
final class ByteStreamService extends ByteStreamGrpc.ByteStreamImplBase {
  /** Bytes per ReadResponse: well below gRPC's default 4 MiB message limit. */
  static final int CHUNK = 64 * 1024;

  private final BlobStore blobs;
  private final Uploads uploads;

  ByteStreamService(BlobStore blobs, Uploads uploads) {
    this.blobs = blobs;
    this.uploads = uploads;
  }

  @Override
  public void read(ReadRequest request, StreamObserver<ReadResponse> response) {
    try {
      BlobId blob = ResourceName.forRead(request.getResourceName()).blob();
      long offset = request.getReadOffset();
      long limit = request.getReadLimit();
      if (offset < 0 || offset > blob.size() || limit < 0) {
        throw new ReapiException(
            ReapiException.Kind.OUT_OF_RANGE,
            "read of blob " + blob + " at offset " + offset + " with limit " + limit,
            List.of());
      }
      long end = limit == 0 ? blob.size() : Math.min(blob.size(), offset + limit);
      try (InputStream in = blobs.open(blob)) {
        in.skipNBytes(offset);
        byte[] buffer = new byte[CHUNK];
        for (long at = offset; at < end; ) {
          int n = in.readNBytes(buffer, 0, (int) Math.min(CHUNK, end - at));
          if (n <= 0) {
            throw ReapiException.notFound("blob " + blob + " is shorter than its name says");
          }
          response.onNext(
              ReadResponse.newBuilder().setData(ByteString.copyFrom(buffer, 0, n)).build());
          at += n;
        }
        // The store checks the hash at the end of the stream: read to the end when it was whole.
        if (offset == 0 && end == blob.size()) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
      }
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    } catch (IOException e) {
      response.onError(GrpcStatuses.internal("cannot read a blob", e));
    }
  }

  @Override
  public StreamObserver<WriteRequest> write(StreamObserver<WriteResponse> response) {
    return new StreamObserver<>() {
      private Uploads.Upload upload;
      private String name;
      private boolean ended;

      @Override
      public void onNext(WriteRequest request) {
        if (ended) {
          return;
        }
        try {
          if (upload == null) {
            name = request.getResourceName();
            ResourceName parsed = ResourceName.forWrite(name);
            upload = uploads.open(parsed, key(parsed));
          } else if (!request.getResourceName().isEmpty()
              && !request.getResourceName().equals(name)) {
            throw ReapiException.invalid("a write stream changed its resource name");
          }
          upload.append(request.getWriteOffset(), request.getData().toByteArray());
          if (request.getFinishWrite()) {
            long committed = upload.finish();
            ended = true;
            response.onNext(WriteResponse.newBuilder().setCommittedSize(committed).build());
            response.onCompleted();
          }
        } catch (ReapiException e) {
          ended = true;
          response.onError(GrpcStatuses.exception(e));
        } catch (IOException e) {
          ended = true;
          response.onError(GrpcStatuses.internal("cannot store an upload", e));
        }
      }

      @Override
      public void onError(Throwable t) {
        // The client went away: what arrived stays, so that it can resume.
        ended = true;
      }

      @Override
      public void onCompleted() {
        if (!ended) {
          ended = true;
          response.onError(
              GrpcStatuses.exception(
                  ReapiException.invalid(
                      "the write stream ended without finish_write; resume it at the committed"
                          + " size")));
        }
      }
    };
  }

  @Override
  public void queryWriteStatus(
      QueryWriteStatusRequest request, StreamObserver<QueryWriteStatusResponse> response) {
    try {
      ResourceName parsed = ResourceName.forWrite(request.getResourceName());
      Uploads.Status status = uploads.status(parsed, key(parsed));
      if (status.committedSize() == 0 && !status.complete()) {
        throw ReapiException.notFound("no upload " + request.getResourceName() + " in progress");
      }
      response.onNext(
          QueryWriteStatusResponse.newBuilder()
              .setCommittedSize(status.committedSize())
              .setComplete(status.complete())
              .build());
      response.onCompleted();
    } catch (ReapiException e) {
      response.onError(GrpcStatuses.exception(e));
    }
  }

  /** One upload per instance, upload id and blob. */
  private static String key(ResourceName name) {
    return name.instance() + "/" + name.upload().orElseThrow() + "/" + name.blob();
  }
}
