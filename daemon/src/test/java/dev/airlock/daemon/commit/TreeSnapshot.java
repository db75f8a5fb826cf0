package dev.airlock.daemon.commit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a tree holds, byte for byte: each path's type, mode, and content digest or symlink target.
 * Modification times are left out: a touch-only change is deliberately not committed.
 */
final class TreeSnapshot {
  private TreeSnapshot() {}

  static Map<String, String> of(Path root) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : (Iterable<Path>) walk::iterator) {
        if (path.equals(root)) {
          continue;
        }
        PosixFiles.Stat stat = PosixFiles.lstat(path);
        String mode = Integer.toOctalString(stat.mode());
        String description;
        if (stat.isDirectory()) {
          description = "dir " + mode;
        } else if (stat.isSymlink()) {
          description = "symlink -> " + Files.readSymbolicLink(path);
        } else if (stat.isFile()) {
          description = "file " + mode + " " + sha256(path);
        } else {
          description = "other " + Integer.toOctalString(stat.type());
        }
        entries.put(root.relativize(path).toString(), description);
      }
    }
    return entries;
  }

  /** The names in {@code root} that look like commit temps. */
  static Stream<String> temps(Path root) throws IOException {
    return of(root).keySet().stream().filter(p -> p.contains(".airlock-"));
  }

  private static String sha256(Path file) throws IOException {
    return HexFormat.of().formatHex(digest().digest(Files.readAllBytes(file)));
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
