package dev.airlock.daemon.reapi;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Turns domain failures into gRPC statuses, with MISSING violations for missing blobs. */
final class GrpcStatuses {
  private static final Logger log = Logger.getLogger(GrpcStatuses.class.getName());

  private GrpcStatuses() {}

  /** The status of a refused request, as a google.rpc.Status (for batch entries and responses). */
  static Status of(ReapiException e) {
    Status.Builder status =
        Status.newBuilder().setCode(code(e.kind()).getNumber()).setMessage(e.getMessage());
    if (!e.missing().isEmpty()) {
      PreconditionFailure.Builder failure = PreconditionFailure.newBuilder();
      for (BlobId blob : e.missing()) {
        failure.addViolations(
            PreconditionFailure.Violation.newBuilder()
                .setType("MISSING")
                .setSubject(blob.subject())
                .setDescription("not in the CAS"));
      }
      status.addDetails(Any.pack(failure.build()));
    }
    return status.build();
  }

  /** The same, as the exception a gRPC call ends with. */
  static StatusRuntimeException exception(ReapiException e) {
    return StatusProto.toStatusRuntimeException(of(e));
  }

  /** A failure of the server itself (the store could not be read or written). */
  static StatusRuntimeException internal(String what, IOException e) {
    log.log(Level.WARNING, what, e);
    return io.grpc.Status.INTERNAL
        .withDescription(what + ": " + e.getMessage())
        .asRuntimeException();
  }

  static Status internalStatus(String what, IOException e) {
    log.log(Level.WARNING, what, e);
    return Status.newBuilder()
        .setCode(Code.INTERNAL.getNumber())
        .setMessage(what + ": " + e.getMessage())
        .build();
  }

  private static Code code(ReapiException.Kind kind) {
    return switch (kind) {
      case INVALID_ARGUMENT -> Code.INVALID_ARGUMENT;
      case NOT_FOUND -> Code.NOT_FOUND;
      case FAILED_PRECONDITION -> Code.FAILED_PRECONDITION;
      case OUT_OF_RANGE -> Code.OUT_OF_RANGE;
      case UNAVAILABLE -> Code.UNAVAILABLE;
      case INTERNAL -> Code.INTERNAL;
    };
  }
}
