package dev.airlock.daemon.request;

import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * An output of a fixed-output action and the SHA-256 its content must have.
 *
 * @param path absolute and normalised
 * @param sha256 64 lowercase hex digits
 */
public record PinnedOutput(Path path, String sha256) {
  public PinnedOutput {
    Objects.requireNonNull(path, "path");
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("a pinned output must be absolute: " + path);
    }
    sha256 = checkedHex(path, sha256);
  }

  /** The digest in lowercase, or why it is none. */
  private static String checkedHex(Path path, String sha256) {
    String hex = sha256.toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256:")) {
      hex = hex.substring("sha256:".length());
    }
    if (hex.length() != 64
        || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
      throw new IllegalArgumentException(
          "the pinned output "
              + PathBytes.display(PathBytes.of(path))
              + " wants a SHA-256 of 64 hex digits, not '"
              + sha256
              + "'");
    }
    return hex;
  }

  /** "sha256:HEX", as messages name a digest. */
  public String digestName() {
    return "sha256:" + sha256;
  }
}
