package dev.airlock.client;

import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.PinnedOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pinned outputs as people write them: {@code PATH=sha256:HEX} (the path relative to the working
 * directory; the last {@code =} separates the digest, so a path may hold one).
 */
public final class OutputHashes {
  private OutputHashes() {}

  /**
   * The pinned outputs {@code specs} name, their paths made absolute against {@code cwd}.
   *
   * @throws IllegalArgumentException for a spec that is not {@code PATH=sha256:HEX}
   */
  public static List<PinnedOutput> parse(Path cwd, List<String> specs) {
    List<PinnedOutput> pinned = new ArrayList<>();
    for (String spec : specs) {
      int eq = spec.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--output-hash wants PATH=sha256:HEX, got '" + spec + "'");
      }
      pinned.add(
          PinnedOutput.newBuilder()
              .setPath(PathBytes.toWire(cwd.resolve(spec.substring(0, eq)).normalize().toString()))
              .setSha256(sha256(spec.substring(eq + 1)))
              .build());
    }
    return pinned;
  }

  /**
   * The 64 lowercase hex digits of {@code digest} ({@code sha256:HEX} or bare HEX).
   *
   * @throws IllegalArgumentException when it is no SHA-256
   */
  public static String sha256(String digest) {
    String hex = digest.strip().toLowerCase(Locale.ROOT);
    if (hex.startsWith("sha256:")) {
      hex = hex.substring("sha256:".length());
    }
    if (hex.length() != 64
        || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
      throw new IllegalArgumentException(
          "'" + digest + "' is no SHA-256 (sha256: and 64 hex digits)");
    }
    return hex;
  }
}
