package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A lower dir, an upper dir and a work dir, and a way to run shell commands in a real overlay
 * mounted onto the lower, as the launcher will: in a private mount namespace that dies with the
 * shell, leaving the upper dir behind.
 */
final class OverlayFixture {
  final Path lower;
  final Path upper;
  final Path work;

  OverlayFixture(Path root) throws IOException {
    this(
        Files.createDirectories(root.resolve("lower")),
        Files.createDirectories(root.resolve("overlays/action-1/upper")),
        Files.createDirectories(root.resolve("overlays/action-1/work")));
  }

  OverlayFixture(Path lower, Path upper, Path work) {
    this.lower = lower;
    this.upper = upper;
    this.work = work;
  }

  /** Runs {@code script} with the overlay mounted over {@code lower} as its working directory. */
  void run(String script) throws IOException, InterruptedException {
    String mount =
        "mount -t overlay overlay -o userxattr,lowerdir=%s,upperdir=%s,workdir=%s %s"
            .formatted(lower, upper, work, lower);
    Process process =
        new ProcessBuilder(
                "unshare", "--mount", "sh", "-ec", mount + "\ncd " + lower + "\n" + script)
            .redirectErrorStream(true)
            .start();
    // The scripts print little, so reading to EOF first cannot fill the pipe and deadlock.
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail("the overlay script did not finish in 30 s: " + script);
    }
    if (process.exitValue() != 0) {
      fail(
          "unshare --mount + mount -t overlay failed (exit "
              + process.exitValue()
              + "); these tests need root or CAP_SYS_ADMIN and overlayfs with userxattr: "
              + output);
    }
  }

  /** The change set the last {@link #run} left. */
  ChangeSet changes() throws IOException {
    return ChangeSetReader.read(upper, lower);
  }
}
