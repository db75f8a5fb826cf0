package dev.airlock.daemon.cache.remote;

import dev.airlock.daemon.cache.Digest;
import java.util.Locale;
import java.util.Objects;

/** A blob as REAPI names it: its SHA-256 and its size. */
record BlobRef(Digest digest, long size) {
  BlobRef {
    Objects.requireNonNull(digest);
    if (size < 0) {
      throw new IllegalArgumentException("a blob size cannot be negative");
    }
  }

  static BlobRef of(byte[] content) {
    return new BlobRef(Digest.sha256(content), content.length);
  }

  build.bazel.remote.execution.v2.Digest toProto() {
    return build.bazel.remote.execution.v2.Digest.newBuilder()
        .setHash(digest.hex())
        .setSizeBytes(size)
        .build();
  }

  /**
   * The blob {@code d} names.
   *
   * @throws IllegalArgumentException when it is no SHA-256 digest with a size
   */
  static BlobRef of(build.bazel.remote.execution.v2.Digest d) {
    String hash = d.getHash();
    if (hash.length() != 2 * Digest.LENGTH || !hash.equals(hash.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException("not a lower-case SHA-256 digest: '" + hash + "'");
    }
    return new BlobRef(Digest.parse(hash), d.getSizeBytes());
  }

  @Override
  public String toString() {
    return digest.hex() + "/" + size;
  }
}
