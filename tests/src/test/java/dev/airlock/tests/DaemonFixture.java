package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real airlockd started through scripts/airlockd on its own state directory and socket, plus the
 * means to talk to it: a Java {@link AirlockClient} and the ./airlock command line. Closing it
 * stops the daemon with SIGTERM and checks that none of its processes outlive it; clients started
 * through it are killed if still running.
 */
final class DaemonFixture implements AutoCloseable {
  static final Path REPO =
      Path.of(System.getProperty("airlock.repo", "..")).toAbsolutePath().normalize();
  static final Path AIRLOCKD = REPO.resolve("scripts/airlockd");
  static final Path AIRLOCK = REPO.resolve("airlock");
  static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private static final Pattern READY = Pattern.compile("airlockd (\\S+) ready, pid (\\d+)");

  private final Path dir;
  private final Path stateDir;
  private final Path socket;
  private final Process process;
  private final String version;
  private final long pid;
  private final Path stdoutFile;
  private final Path stderrFile;
  private final List<CliProcess> clients = new ArrayList<>();

  private DaemonFixture(
      Path dir,
      Path stateDir,
      Path socket,
      Process process,
      String version,
      long pid,
      Path out,
      Path err) {
    this.dir = dir;
    this.stateDir = stateDir;
    this.socket = socket;
    this.process = process;
    this.version = version;
    this.pid = pid;
    this.stdoutFile = out;
    this.stderrFile = err;
  }

  /**
   * Starts a daemon with state dir {@code dir/state} and socket {@code dir/d.sock}; {@code options}
   * go to airlockd (--kill-grace-ms 500 unless given).
   */
  static DaemonFixture start(Path dir, String... options) throws IOException, InterruptedException {
    return start(dir, dir.resolve("state"), dir.resolve("d.sock"), options);
  }

  static DaemonFixture start(Path dir, Path stateDir, Path socket, String... options)
      throws IOException, InterruptedException {
    return start(List.of(AIRLOCKD.toString()), dir, stateDir, socket, options);
  }

  /**
   * Like {@link #start(Path, String...)}, with {@code env} added to the daemon's environment (test
   * hooks such as AIRLOCK_TEST_CRASH_AT).
   */
  static DaemonFixture start(Path dir, Map<String, String> env, String... options)
      throws IOException, InterruptedException {
    Path stateDir = dir.resolve("state");
    Path socket = dir.resolve("d.sock");
    assertTrue(
        socket.toString().getBytes(StandardCharsets.UTF_8).length < 100,
        "test socket path too long: " + socket);
    return started(
        launchUnchecked(List.of(AIRLOCKD.toString()), env, dir, stateDir, socket, options),
        dir,
        stateDir,
        socket);
  }

  /**
   * Starts a daemon with another command line than scripts/airlockd (e.g. java run as another
   * user); it must exec the daemon so that the started process is the daemon.
   */
  static DaemonFixture start(
      List<String> daemonCommand, Path dir, Path stateDir, Path socket, String... options)
      throws IOException, InterruptedException {
    return started(launch(daemonCommand, dir, stateDir, socket, options), dir, stateDir, socket);
  }

  /** Waits for a launched daemon to be ready; kills it when it is not. */
  private static DaemonFixture started(Launched launched, Path dir, Path stateDir, Path socket)
      throws IOException, InterruptedException {
    try {
      DaemonFixture daemon = awaitReady(launched, dir, stateDir, socket);
      if (daemon.pid != launched.process().pid()) {
        throw new AssertionError(
            "the daemon's start command should exec it: it announced pid "
                + daemon.pid
                + " but was started as pid "
                + launched.process().pid());
      }
      return daemon;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      launched.close();
      throw e;
    }
  }

  private static DaemonFixture awaitReady(Launched launched, Path dir, Path stateDir, Path socket)
      throws IOException, InterruptedException {
    Process process = launched.process();
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      Matcher ready = READY.matcher(Files.readString(launched.out()));
      if (ready.find()) {
        return new DaemonFixture(
            dir,
            stateDir,
            socket,
            process,
            ready.group(1),
            Long.parseLong(ready.group(2)),
            launched.out(),
            launched.err());
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "airlockd exited with status "
                + process.exitValue()
                + " before it was ready; stderr: "
                + launched.stderr());
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(
            "airlockd was not ready within " + START_TIMEOUT + "; stderr: " + launched.stderr());
      }
      Thread.sleep(20);
    }
  }

  /** A started airlockd process and the files its stdout and stderr go to. */
  record Launched(Process process, Path out, Path err) implements AutoCloseable {
    /**
     * Waits for the process to exit; fails (and kills it) when it does not within {@code timeout}.
     */
    int awaitExit(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError(
            "airlockd should have exited within "
                + timeout.toMillis()
                + " ms; stderr: "
                + stderr());
      }
      return process.exitValue();
    }

    /** Kills the process (and anything it started) if it still runs. */
    @Override
    public void close() {
      if (process.isAlive()) {
        Procs.killTree(process);
      }
    }

    String stderr() throws IOException {
      return Files.readString(err);
    }

    String stdout() throws IOException {
      return Files.readString(out);
    }
  }

  /** Starts scripts/airlockd without waiting for it (for daemons expected to refuse to start). */
  static Launched launch(Path dir, Path stateDir, Path socket, String... options)
      throws IOException {
    return launch(List.of(AIRLOCKD.toString()), dir, stateDir, socket, options);
  }

  static Launched launch(
      List<String> daemonCommand, Path dir, Path stateDir, Path socket, String... options)
      throws IOException {
    assertTrue(
        socket.toString().getBytes(StandardCharsets.UTF_8).length < 100,
        "test socket path too long: " + socket);
    return launchUnchecked(daemonCommand, dir, stateDir, socket, options);
  }

  /** Like {@link #launch}, with any socket path (for daemons expected to refuse it). */
  static Launched launchUnchecked(Path dir, Path stateDir, Path socket, String... options)
      throws IOException {
    return launchUnchecked(List.of(AIRLOCKD.toString()), dir, stateDir, socket, options);
  }

  private static Launched launchUnchecked(
      List<String> daemonCommand, Path dir, Path stateDir, Path socket, String... options)
      throws IOException {
    return launchUnchecked(daemonCommand, Map.of(), dir, stateDir, socket, options);
  }

  private static Launched launchUnchecked(
      List<String> daemonCommand,
      Map<String, String> env,
      Path dir,
      Path stateDir,
      Path socket,
      String... options)
      throws IOException {
    List<String> command = new ArrayList<>(daemonCommand);
    command.addAll(List.of("--state-dir", stateDir.toString(), "--socket", socket.toString()));
    if (!List.of(options).contains("--kill-grace-ms")) {
      command.addAll(List.of("--kill-grace-ms", "500"));
    }
    command.addAll(List.of(options));
    Path out = Files.createTempFile(dir, "airlockd-", ".out");
    Path err = Files.createTempFile(dir, "airlockd-", ".err");
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    builder.environment().remove("AIRLOCK_STATE_DIR");
    builder.environment().remove("AIRLOCK_SOCKET");
    builder.environment().remove("AIRLOCK_TEST_CRASH_AT");
    builder.environment().putAll(env);
    return new Launched(builder.start(), out, err);
  }

  Path dir() {
    return dir;
  }

  Path stateDir() {
    return stateDir;
  }

  Path socket() {
    return socket;
  }

  long pid() {
    return pid;
  }

  String version() {
    return version;
  }

  Process process() {
    return process;
  }

  AirlockClient client() {
    return AirlockClient.forSocket(socket);
  }

  String daemonStderr() throws IOException {
    return Files.readString(stderrFile);
  }

  String daemonStdout() throws IOException {
    return Files.readString(stdoutFile);
  }

  /** A request for {@code argv} with PATH and HOME only, run in the fixture's directory. */
  ExecuteRequest.Builder request(String... argv) {
    return ExecuteRequest.newBuilder()
        .addAllArgv(PathBytes.toWire(List.of(argv)))
        .putEnv("PATH", PathBytes.toWire("/usr/local/bin:/usr/bin:/bin"))
        .putEnv("HOME", PathBytes.toWire(dir.toString()))
        .setCwd(PathBytes.toWire(dir.toString()));
  }

  /** Starts {@code ./airlock --socket S --state-dir D ARGS...} in the fixture's directory. */
  CliProcess cli(String... args) throws IOException {
    return cli(null, args);
  }

  /** Like {@link #cli(String...)}, feeding {@code stdin} to the client. */
  CliProcess cli(byte[] stdin, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                AIRLOCK.toString(),
                "--socket",
                socket.toString(),
                "--state-dir",
                stateDir.toString()));
    command.addAll(List.of(args));
    CliProcess cli = CliProcess.start(command, cliEnvironment(), dir, stdin);
    synchronized (clients) {
      clients.add(cli);
    }
    return cli;
  }

  /** Runs the client to completion. */
  CliProcess.Result runCli(Duration timeout, String... args)
      throws IOException, InterruptedException {
    return cli(args).await(timeout);
  }

  static Map<String, String> cliEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("AIRLOCK_STATE_DIR", null);
    env.put("AIRLOCK_SOCKET", null);
    return env;
  }

  /** Waits for the daemon to exit on its own (after `airlock stop`); true when it did in time. */
  boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops the daemon with SIGTERM and waits for it; true when it exited within the timeout. */
  boolean terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    synchronized (clients) {
      for (CliProcess cli : clients) {
        cli.close();
      }
    }
    if (!process.isAlive()) {
      return;
    }
    List<ProcessHandle> actions = process.descendants().toList();
    try {
      if (!terminate(Duration.ofSeconds(20))) {
        Procs.killTree(process);
        throw new AssertionError("airlockd did not stop within 20 s of SIGTERM");
      }
      Procs.await(
          "the daemon's action processes " + actions + " to end with it",
          Duration.ofSeconds(10),
          () -> actions.stream().noneMatch(p -> p.isAlive() && !Procs.isGone(p.pid())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Procs.killTree(process);
      throw new AssertionError("interrupted while stopping airlockd", e);
    } finally {
      actions.forEach(ProcessHandle::destroyForcibly);
    }
  }
}
