package dev.airlock.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Files outside any action's workspace and input root, and outside /tmp (which the build and
 * hermetic policies make private to each action, so a host file there looks absent rather than
 * refused), for tests of accesses past what an action declares or was granted. They go to /var/tmp,
 * not beside the checkout: a checkout may itself lie under /tmp.
 */
public final class Outside {
  private static final Path ROOT = Path.of("/var/tmp/airlock-tests");

  private Outside() {}

  /** A new, empty directory of its own. */
  public static Path directory(String prefix) throws IOException {
    Files.createDirectories(ROOT);
    Path dir = Files.createTempDirectory(ROOT, prefix + "-");
    dir.toFile().deleteOnExit();
    return dir;
  }

  /** A new file with {@code text} in it. */
  public static Path file(String prefix, String text) throws IOException {
    Files.createDirectories(ROOT);
    Path file = ROOT.resolve(prefix + "-" + UUID.randomUUID() + ".txt");
    Files.writeString(file, text);
    file.toFile().deleteOnExit();
    return file;
  }
}
