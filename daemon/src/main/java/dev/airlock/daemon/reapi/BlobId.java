package dev.airlock.daemon.reapi;

import dev.airlock.daemon.cache.Digest;

/**
 * A blob as REAPI names it: its SHA-256 and its size. The size is part of the name: a blob whose
 * bytes hash right but whose length differs is another blob.
 */
public record BlobId(Digest hash, long size) {
  /** The empty blob, which every REAPI server holds without being sent it. */
  public static final BlobId EMPTY = new BlobId(Digest.sha256(new byte[0]), 0);

  public BlobId {
    if (size < 0) {
      throw new IllegalArgumentException("a blob size cannot be negative: " + size);
    }
  }

  /**
   * Checks and converts a wire digest.
   *
   * @throws ReapiException INVALID_ARGUMENT for anything but 64 lowercase hex digits and a size of
   *     0 or more
   */
  public static BlobId of(build.bazel.remote.execution.v2.Digest wire) throws ReapiException {
    return parse(wire.getHash(), wire.getSizeBytes());
  }

  /** As {@link #of(build.bazel.remote.execution.v2.Digest)}, from a hash and a size. */
  public static BlobId parse(String hash, long size) throws ReapiException {
    if (hash.length() != 2 * Digest.LENGTH || !hash.chars().allMatch(BlobId::lowerHex)) {
      throw ReapiException.invalid(
          "'" + abbreviate(hash) + "' is not a SHA-256 digest (64 lowercase hex digits)");
    }
    if (size < 0) {
      throw ReapiException.invalid("blob " + hash + " has a negative size: " + size);
    }
    return new BlobId(Digest.parse(hash), size);
  }

  /** The name of {@code data}. */
  public static BlobId of(byte[] data) {
    return new BlobId(Digest.sha256(data), data.length);
  }

  public build.bazel.remote.execution.v2.Digest toWire() {
    return build.bazel.remote.execution.v2.Digest.newBuilder()
        .setHash(hash.hex())
        .setSizeBytes(size)
        .build();
  }

  /** "blobs/{hash}/{size}", the subject of a MISSING precondition violation. */
  public String subject() {
    return "blobs/" + hash.hex() + "/" + size;
  }

  @Override
  public String toString() {
    return hash.hex() + "/" + size;
  }

  private static boolean lowerHex(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }
}
