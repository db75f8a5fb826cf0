package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Mounts a small tmpfs, to fill a filesystem for real. Needs root. */
final class Tmpfs {
  private Tmpfs() {}

  static void mount(Path at, String size) throws Exception {
    run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.toString());
  }

  static void unmount(Path at) throws Exception {
    run("umount", at.toString());
  }

  private static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      fail(String.join(" ", command) + " failed; this test needs root: " + output);
    }
  }
}
