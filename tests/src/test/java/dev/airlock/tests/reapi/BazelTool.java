package dev.airlock.tests.reapi;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real Bazel the REAPI tests drive: Debian's {@code bazel-bootstrap}, installed with apt-get
 * when no {@code bazel} is on the PATH. A machine that cannot install it fails the test with a
 * message saying so: these tests never skip silently.
 */
final class BazelTool {
  private BazelTool() {}

  /** The bazel executable, installing bazel-bootstrap first if need be. */
  static synchronized Path bazel() throws IOException, InterruptedException {
    Optional<Path> found = onPath();
    if (found.isPresent()) {
      return found.get();
    }
    StringBuilder log = new StringBuilder();
    run(List.of("apt-get", "update"), log);
    run(List.of("apt-get", "install", "-y", "--no-install-recommends", "bazel-bootstrap"), log);
    return onPath()
        .orElseThrow(
            () ->
                new AssertionError(
                    "bazel is not on the PATH and installing Debian's bazel-bootstrap did not"
                        + " provide it (the REAPI tests need a real Bazel: run `apt-get install"
                        + " bazel-bootstrap` as root):\n"
                        + log));
  }

  private static Optional<Path> onPath() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, "bazel");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static void run(List<String> command, StringBuilder log)
      throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(command);
    Process p;
    try {
      p =
          new ProcessBuilder(full)
              .redirectErrorStream(true)
              .redirectInput(new File("/dev/null"))
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "bazel is not on the PATH and "
              + command.get(0)
              + " cannot be started to install"
              + " Debian's bazel-bootstrap: "
              + e.getMessage(),
          e);
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
    }
    log.append("$ ").append(String.join(" ", command)).append('\n');
    log.append(new String(out, StandardCharsets.UTF_8));
    if (p.exitValue() != 0) {
      throw new AssertionError(
          "bazel is not on the PATH and `"
              + String.join(" ", command)
              + "` failed with status "
              + p.exitValue()
              + " (installing Debian's bazel-bootstrap needs root and a reachable apt"
              + " mirror):\n"
              + log);
    }
  }
}
