package dev.airlock.daemon.reapi;

import java.util.List;

/**
 * Why a REAPI request cannot be served, in the API's own terms: the gRPC services turn the kind
 * into a status code, and missing blobs into MISSING precondition violations.
 */
public final class ReapiException extends Exception {
  /** What went wrong, as REAPI distinguishes it. */
  public enum Kind {
    /**
     * The request is malformed (a bad digest, a bad resource name, an output escaping the root).
     */
    INVALID_ARGUMENT,
    /** A blob or an entry the request names is not there. */
    NOT_FOUND,
    /** Blobs the request needs are missing: {@link #missing()} names them. */
    FAILED_PRECONDITION,
    /** A write or read offset outside the blob. */
    OUT_OF_RANGE,
    /** The server cannot take it now (shutting down, queue full). */
    UNAVAILABLE,
    /** The server failed. */
    INTERNAL
  }

  private final Kind kind;
  private final List<BlobId> missing;

  public ReapiException(Kind kind, String message, List<BlobId> missing) {
    super(message);
    this.kind = kind;
    this.missing = List.copyOf(missing);
  }

  public static ReapiException invalid(String message) {
    return new ReapiException(Kind.INVALID_ARGUMENT, message, List.of());
  }

  public static ReapiException notFound(String message) {
    return new ReapiException(Kind.NOT_FOUND, message, List.of());
  }

  /** Blobs the request needs are not in the CAS. */
  public static ReapiException missing(String what, List<BlobId> blobs) {
    return new ReapiException(
        Kind.FAILED_PRECONDITION,
        what + ": " + blobs.size() + " blob(s) missing from the CAS, first " + blobs.get(0),
        blobs);
  }

  public static ReapiException internal(String message) {
    return new ReapiException(Kind.INTERNAL, message, List.of());
  }

  public Kind kind() {
    return kind;
  }

  /** The missing blobs of a FAILED_PRECONDITION; empty otherwise. */
  public List<BlobId> missing() {
    return missing;
  }
}
