package dev.airlock.daemon.cache;

import dev.airlock.protocol.PathBytes;
import java.security.MessageDigest;

/**
 * Feeds values into SHA-256 in an unambiguous encoding: fixed-width integers, and byte strings
 * prefixed by their length, so {@code ("ab", "c")} and {@code ("a", "bc")} never hash alike.
 */
final class HashWriter {
  private final MessageDigest hasher = Digest.newHasher();
  private final byte[] scratch = new byte[8];

  /** Starts with a domain tag, so digests of different kinds of things never collide. */
  HashWriter(String domain) {
    string(domain);
  }

  HashWriter int32(int v) {
    for (int i = 0; i < 4; i++) {
      scratch[i] = (byte) (v >>> (24 - 8 * i));
    }
    hasher.update(scratch, 0, 4);
    return this;
  }

  HashWriter int64(long v) {
    for (int i = 0; i < 8; i++) {
      scratch[i] = (byte) (v >>> (56 - 8 * i));
    }
    hasher.update(scratch, 0, 8);
    return this;
  }

  HashWriter bytes(byte[] b) {
    int32(b.length);
    hasher.update(b);
    return this;
  }

  /** A string as its bytes; a file name's exact bytes (see {@link PathBytes}). */
  HashWriter string(String s) {
    return bytes(PathBytes.encode(s));
  }

  HashWriter digest(Digest d) {
    // Fixed width: no prefix needed.
    d.updateHasher(hasher);
    return this;
  }

  Digest finish() {
    return Digest.finish(hasher);
  }
}
