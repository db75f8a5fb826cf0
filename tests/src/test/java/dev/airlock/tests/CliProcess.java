package dev.airlock.tests;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A client process (./airlock, or java running the CLI as another user) whose stdout and stderr are
 * captured while it runs, so a test can look at output before the process ends.
 */
final class CliProcess implements AutoCloseable {
  /** What a finished client printed and how it exited. */
  record Result(int status, String stdout, String stderr, Duration elapsed) {
    @Override
    public String toString() {
      return "status " + status + ", stdout <" + stdout + ">, stderr <" + stderr + ">";
    }
  }

  private final List<String> command;
  private final Process process;
  private final long startNanos = System.nanoTime();
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private final Thread stdoutReader;
  private final Thread stderrReader;

  private CliProcess(List<String> command, Process process) {
    this.command = command;
    this.process = process;
    this.stdoutReader = copier(process.getInputStream(), stdout, "stdout");
    this.stderrReader = copier(process.getErrorStream(), stderr, "stderr");
  }

  /**
   * Starts a command. SIGINT, SIGTERM and SIGHUP are reset to their default action first (a process
   * started from a non-interactive shell may inherit them ignored, unlike one started from a
   * terminal), so signal forwarding behaves as it does for a user.
   *
   * @param env variables to set (a null value removes the variable)
   * @param stdin bytes to feed on standard input, then end-of-file; null for none
   */
  static CliProcess start(List<String> command, Map<String, String> env, Path cwd, byte[] stdin)
      throws IOException {
    List<String> full = new ArrayList<>();
    full.add("env");
    full.add("--default-signal=INT,TERM,HUP");
    full.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(full);
    if (cwd != null) {
      builder.directory(cwd.toFile());
    }
    env.forEach(
        (k, v) -> {
          if (v == null) {
            builder.environment().remove(k);
          } else {
            builder.environment().put(k, v);
          }
        });
    if (stdin == null) {
      builder.redirectInput(new File("/dev/null"));
    }
    CliProcess cli = new CliProcess(command, builder.start());
    if (stdin != null) {
      Thread feeder =
          new Thread(
              () -> {
                try (OutputStream in = cli.process.getOutputStream()) {
                  in.write(stdin);
                } catch (IOException e) {
                  // The client ended before reading everything; its result says why.
                }
              },
              "cli-stdin");
      feeder.setDaemon(true);
      feeder.start();
    }
    return cli;
  }

  private static Thread copier(InputStream in, ByteArrayOutputStream sink, String name) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try (in) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  synchronized (sink) {
                    sink.write(buffer, 0, n);
                  }
                }
              } catch (IOException e) {
                // The process was killed; what was read so far is what it printed.
              }
            },
            "cli-" + name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String stdout() {
    synchronized (stdout) {
      return stdout.toString(StandardCharsets.UTF_8);
    }
  }

  String stderr() {
    synchronized (stderr) {
      return stderr.toString(StandardCharsets.UTF_8);
    }
  }

  /** Sends a signal by name (INT, TERM, HUP, KILL) to the client process. */
  void signal(String name) throws IOException, InterruptedException {
    Procs.signal(process.pid(), name);
  }

  /**
   * Waits for the client to exit; fails (and kills it) when it takes longer than {@code timeout}.
   */
  Result await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      Procs.killTree(process);
      process.waitFor(5, TimeUnit.SECONDS);
      throw new AssertionError(
          String.join(" ", command)
              + " did not exit within "
              + timeout.toMillis()
              + " ms; stdout <"
              + stdout()
              + ">, stderr <"
              + stderr()
              + ">");
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
    stdoutReader.join(10_000);
    stderrReader.join(10_000);
    return new Result(process.exitValue(), stdout(), stderr(), elapsed);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      Procs.killTree(process);
    }
  }
}
