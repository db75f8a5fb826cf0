package dev.airlock.sandbox.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The launcher executable shipped inside this jar (compiled by the Maven build), extracted to a
 * directory under a name that carries its content hash, so a daemon never runs a stale copy.
 */
public final class LauncherBinary {
  private static final String RESOURCE = "native/airlock-launcher-";

  private LauncherBinary() {}

  /**
   * Extracts the launcher for this machine's architecture into {@code dir} (once per content).
   *
   * @throws IllegalStateException when this build has no launcher for the architecture
   */
  public static Path extractTo(Path dir) throws IOException {
    String arch = System.getProperty("os.arch");
    byte[] bytes;
    try (InputStream in = LauncherBinary.class.getResourceAsStream(RESOURCE + arch)) {
      if (in == null) {
        throw new IllegalStateException(
            "this Airlock build has no launcher for architecture "
                + arch
                + "; rebuild Airlock on this machine");
      }
      bytes = in.readAllBytes();
    }
    return extract(bytes, dir, "airlock-launcher-" + arch, "");
  }

  /**
   * Writes {@code bytes} to {@code dir} as an executable file named PREFIX-HASH SUFFIX (HASH from
   * the content), unless it is there already; returns its path.
   */
  static Path extract(byte[] bytes, Path dir, String prefix, String suffix) throws IOException {
    Path target = dir.resolve(prefix + "-" + sha256(bytes).substring(0, 16) + suffix);
    if (Files.isRegularFile(target) && Files.size(target) == bytes.length) {
      return target;
    }
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, "." + prefix, ".tmp");
    try {
      Files.write(temp, bytes);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("r-xr-xr-x"));
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    return target;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new UncheckedIOException(new IOException(e));
    }
  }
}
