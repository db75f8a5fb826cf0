package dev.airlock.client;

import dev.airlock.protocol.AirlockPaths;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts airlockd in the background when none answers on the socket, and waits until it does. The
 * daemon's own startup messages are appended to {@code <state dir>/airlockd.out} (never truncated:
 * a running daemon may still write there); when it fails to come up, the last line this start wrote
 * becomes the exception's message.
 */
public final class DaemonStarter {
  static final String OUT_FILE = "airlockd.out";

  /** airlockd's status when another daemon holds the state dir or the socket. */
  static final int EXIT_ALREADY_RUNNING = 3;

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
    long outStart = Files.exists(out) ? Files.size(out) : 0;
    List<String> command = new ArrayList<>(daemonCommand);
    command.addAll(
        List.of(
            "--detach",
            "--state-dir",
            paths.stateDir().toString(),
            "--socket",
            paths.socket().toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectInput(new File("/dev/null"))
            .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
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
      if (!daemon.isAlive()) {
        String said = lastLine(out, outStart, "airlockd exited with status " + daemon.exitValue());
        if (daemon.exitValue() != EXIT_ALREADY_RUNNING) {
          throw new IOException(said);
        }
        Optional<Path> served = servedSocket(paths);
        if (served.isPresent() && !served.get().equals(paths.socket())) {
          // The state dir is another daemon's, which listens elsewhere: waiting cannot help.
          throw new IOException(
              said
                  + "; reach it with --socket "
                  + served.get()
                  + ", or give this one another --state-dir");
        }
        // Another client's daemon for these very paths won the race: wait for it instead.
      }
      try {
        Thread.sleep(15);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for airlockd to start", e);
      }
    }
    throw new IOException(
        lastLine(
            out,
            outStart,
            "airlockd did not answer on "
                + paths.socket()
                + " within "
                + timeout.toSeconds()
                + " s"));
  }

  /** The socket the daemon holding the state dir serves, once it has said so. */
  private static Optional<Path> servedSocket(AirlockPaths paths) {
    try {
      String recorded = Files.readString(paths.servedSocketFile()).trim();
      return recorded.isEmpty() ? Optional.empty() : Optional.of(Path.of(recorded));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The last line this start added to the output file (from {@code start} on). */
  private static String lastLine(Path out, long start, String fallback) {
    try (FileChannel file = FileChannel.open(out)) {
      ByteBuffer buffer =
          ByteBuffer.allocate((int) Math.max(0, Math.min(64 * 1024, file.size() - start)));
      file.position(Math.max(start, file.size() - buffer.capacity()));
      while (buffer.hasRemaining() && file.read(buffer) > 0) {
        // read on
      }
      List<String> lines =
          new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)
              .lines()
              .filter(l -> !l.isBlank())
              .toList();
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
