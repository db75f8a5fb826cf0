package dev.airlock.daemon.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** A SHA-256 digest: the name of a blob, a fingerprint or a listing. Immutable. */
public final class Digest implements Comparable<Digest> {
  /** Length of a SHA-256 digest in bytes. */
  public static final int LENGTH = 32;

  private static final HexFormat HEX = HexFormat.of();

  private final byte[] bytes;

  private Digest(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps (a copy of) 32 digest bytes. */
  public static Digest of(byte[] bytes) {
    if (bytes.length != LENGTH) {
      throw new IllegalArgumentException(
          "a SHA-256 digest has " + LENGTH + " bytes, not " + bytes.length);
    }
    return new Digest(bytes.clone());
  }

  /** Parses 64 lowercase or uppercase hex digits. */
  public static Digest parse(String hex) {
    if (hex.length() != 2 * LENGTH) {
      throw new IllegalArgumentException("not a SHA-256 digest: '" + hex + "'");
    }
    return new Digest(HEX.parseHex(hex));
  }

  /** The SHA-256 of {@code data}. */
  public static Digest sha256(byte[] data) {
    MessageDigest md = newHasher();
    return new Digest(md.digest(data));
  }

  /** The SHA-256 of the content of {@code file}, read in one pass. */
  public static Digest sha256(Path file) throws IOException {
    MessageDigest md = newHasher();
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        md.update(buffer, 0, n);
      }
    }
    return new Digest(md.digest());
  }

  /** Finishes {@code hasher} into a digest. */
  static Digest finish(MessageDigest hasher) {
    return new Digest(hasher.digest());
  }

  /** A fresh SHA-256 hasher; every JDK must provide SHA-256. */
  static MessageDigest newHasher() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("the JDK guarantees SHA-256", e);
    }
  }

  /** A copy of the 32 bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The 64 lowercase hex digits. */
  public String hex() {
    return HEX.formatHex(bytes);
  }

  void updateHasher(MessageDigest hasher) {
    hasher.update(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    // The bytes are already uniformly distributed.
    return (bytes[0] & 0xff) << 24
        | (bytes[1] & 0xff) << 16
        | (bytes[2] & 0xff) << 8
        | bytes[3] & 0xff;
  }

  @Override
  public int compareTo(Digest other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  @Override
  public String toString() {
    return "sha256:" + hex();
  }
}
