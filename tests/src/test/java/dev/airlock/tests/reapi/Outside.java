package dev.airlock.tests.reapi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Files outside any action's input root and outside /tmp (which the build and hermetic policies
 * make private to each action), for tests of reads that leak past the declared inputs.
 */
final class Outside {
  private Outside() {}

  /** A new file under tests/target with {@code text} in it. */
  static Path file(String prefix, String text) throws IOException {
    Path dir = ReapiDaemon.REPO.resolve("tests/target/outside-inputs");
    Files.createDirectories(dir);
    Path file = dir.resolve(prefix + "-" + UUID.randomUUID() + ".txt");
    Files.writeString(file, text);
    file.toFile().deleteOnExit();
    return file;
  }
}
