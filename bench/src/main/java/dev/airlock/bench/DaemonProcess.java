package dev.airlock.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An airlockd started through {@code scripts/airlockd} in the foreground, owned by the benchmark:
 * started on a private state directory and socket, stopped with SIGTERM at the end.
 */
final class DaemonProcess implements AutoCloseable {
  private static final Pattern READY = Pattern.compile("^airlockd (\\S+) ready, pid (\\d+)$");

  private final Process process;
  private final Path stderrLog;
  private final String version;
  private boolean stopped;

  private DaemonProcess(Process process, Path stderrLog, String version) {
    this.process = process;
    this.stderrLog = stderrLog;
    this.version = version;
  }

  /**
   * Starts the daemon and waits for its ready line (the script may build Airlock first, hence the
   * generous timeout).
   */
  static DaemonProcess start(
      Path repo,
      Path stateDir,
      Path socket,
      int maxParallel,
      Map<String, String> extraEnv,
      Duration timeout)
      throws IOException, InterruptedException {
    Path script = repo.resolve("scripts/airlockd");
    Path stdoutLog = stateDir.resolveSibling("airlockd.stdout");
    Path stderrLog = stateDir.resolveSibling("airlockd.stderr");
    ProcessBuilder builder =
        new ProcessBuilder(
                script.toString(),
                "--state-dir",
                stateDir.toString(),
                "--socket",
                socket.toString(),
                "--max-parallel",
                Integer.toString(maxParallel))
            .directory(repo.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectError(stderrLog.toFile());
    builder.environment().putAll(extraEnv);
    Process process = builder.start();
    // Reads stdout for the ready line, then keeps draining it (to a file) so the daemon never
    // blocks on a full pipe.
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                      new BufferedReader(
                          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                  var out = Files.newBufferedWriter(stdoutLog)) {
                String line;
                while ((line = lines.readLine()) != null) {
                  out.write(line);
                  out.newLine();
                  out.flush();
                  Matcher m = READY.matcher(line.strip());
                  if (m.matches()) {
                    ready.complete(m.group(1));
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              } finally {
                ready.completeExceptionally(new IOException("airlockd closed its stdout"));
              }
            },
            "airlockd-stdout");
    reader.setDaemon(true);
    reader.start();

    DaemonProcess daemon = new DaemonProcess(process, stderrLog, null);
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean buildAnnounced = false;
    while (true) {
      if (!buildAnnounced) {
        // scripts/airlockd builds Airlock first when its sources changed; say why we wait.
        Optional<String> building = daemon.stderrLine("airlock: building");
        if (building.isPresent()) {
          System.err.println("bench-latency: (airlockd) " + building.get());
          buildAnnounced = true;
        }
      }
      try {
        String version = ready.get(200, TimeUnit.MILLISECONDS);
        if (process.pid() <= 0) {
          throw new IOException("airlockd has no pid");
        }
        return new DaemonProcess(process, stderrLog, version);
      } catch (TimeoutException e) {
        if (!process.isAlive()) {
          throw new IOException(
              "airlockd exited with status "
                  + process.exitValue()
                  + " before it was ready: "
                  + daemon.stderrTail(5));
        }
        if (System.nanoTime() > deadline) {
          daemon.close();
          throw new IOException(
              "airlockd was not ready within "
                  + timeout.toSeconds()
                  + " s: "
                  + daemon.stderrTail(5));
        }
      } catch (ExecutionException e) {
        // stdout ended without the ready line: the daemon is exiting.
        process.waitFor(10, TimeUnit.SECONDS);
        daemon.close();
        throw new IOException(
            "airlockd stopped before it was ready"
                + (process.isAlive() ? "" : " (status " + process.exitValue() + ")")
                + ": "
                + daemon.stderrTail(5));
      }
    }
  }

  String version() {
    return version;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  private Optional<String> stderrLine(String prefix) {
    try (Stream<String> lines = Files.lines(stderrLog)) {
      return lines.filter(l -> l.startsWith(prefix)).findFirst();
    } catch (IOException | java.io.UncheckedIOException e) {
      return Optional.empty();
    }
  }

  /** The last lines of the daemon's stderr, joined, for error messages. */
  String stderrTail(int lines) {
    try {
      List<String> all = new ArrayList<>();
      for (String line : Files.readAllLines(stderrLog)) {
        if (!line.isBlank()) {
          all.add(line.strip());
        }
      }
      if (all.isEmpty()) {
        return "(no output on stderr; see " + stderrLog + ")";
      }
      return String.join(" | ", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + stderrLog + ": " + e.getMessage() + ")";
    }
  }

  /**
   * Stops the daemon with SIGTERM (its graceful path) and waits; SIGKILL after 20 s.
   *
   * @return the daemon's exit status, or -1 when it had to be killed
   */
  synchronized int stop() throws InterruptedException {
    if (stopped) {
      return process.isAlive() ? -1 : process.exitValue();
    }
    stopped = true;
    if (!process.isAlive()) {
      return process.exitValue();
    }
    process.destroy();
    if (process.waitFor(20, TimeUnit.SECONDS)) {
      return process.exitValue();
    }
    process.destroyForcibly();
    process.waitFor(5, TimeUnit.SECONDS);
    return -1;
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
