package dev.airlock.client;

import dev.airlock.protocol.AirlockPaths;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts airlockd in the background when none answers on the socket, and waits until it does. The
 * daemon's own startup messages go to {@code <state dir>/airlockd.out}; when it fails to come up,
 * its last lines become the exception's message.
 */
public final class DaemonStarter {
  static final String OUT_FILE = "airlockd.out";

  private final List<String> daemonCommand;
  private final Duration timeout;

  /**
   * @param daemonCommand how to run airlockd (e.g. {@code [.../scripts/airlockd]}); the starter
   *     appends --detach, --state-dir and --socket
   */
  public DaemonStarter(List<String> daemonCommand, Duration timeout) {
    this.daemonCommand = List.copyOf(daemonCommand);
    this.timeout = timeout;
  }

  /**
   * Makes sure a daemon serves {@code paths}; returns true when this call started it.
   *
   * @throws IOException with the daemon's own words when it could not start
   */
  public boolean ensureRunning(AirlockPaths paths) throws IOException {
    AirlockClient client = AirlockClient.forPaths(paths);
    if (client.isDaemonRunning()) {
      return false;
    }
    Files.createDirectories(
        paths.stateDir(),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path out = paths.stateDir().resolve(OUT_FILE);
    List<String> command = new ArrayList<>(daemonCommand);
    command.addAll(
        List.of(
            "--detach",
            "--state-dir",
            paths.stateDir().toString(),
            "--socket",
            paths.socket().toString()));
    // Truncated on each start, so its tail is this start's story.
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(new File("/dev/null"))
            .redirectOutput(out.toFile())
            .redirectErrorStream(true);
    Process daemon;
    try {
      daemon = builder.start();
    } catch (IOException e) {
      throw new IOException("cannot start airlockd (" + command.get(0) + "): " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (client.isDaemonRunning()) {
        return true;
      }
      if (!daemon.isAlive() && daemon.exitValue() != 3) {
        // Status 3: another client's daemon won the race; keep waiting for it instead.
        throw new IOException(lastLines(out, "airlockd exited with status " + daemon.exitValue()));
      }
      try {
        Thread.sleep(15);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for airlockd to start", e);
      }
    }
    throw new IOException(
        lastLines(
            out,
            "airlockd did not answer on "
                + paths.socket()
                + " within "
                + timeout.toSeconds()
                + " s"));
  }

  private static String lastLines(Path out, String fallback) {
    try {
      List<String> lines = Files.readAllLines(out).stream().filter(l -> !l.isBlank()).toList();
      if (lines.isEmpty()) {
        return fallback;
      }
      String last = lines.get(lines.size() - 1);
      return last.startsWith("airlockd: ") ? last.substring("airlockd: ".length()) : last;
    } catch (IOException e) {
      return fallback;
    }
  }
}
