package dev.airlock.bench;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.ExitStatus;
import dev.airlock.sandbox.linux.LaunchFailure;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.Tracer;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One way of running {@code true} to completion: start it, read its output to end-of-file, wait for
 * its exit status and check that it succeeded. Implementations are thread-safe.
 */
interface Spawner {
  /** The command every variant runs, with the same environment and working directory. */
  List<String> COMMAND = List.of("true");

  Path CWD = Path.of("/");

  /** The ways compared; the report finds its baselines by kind. */
  enum Kind {
    PROCESS_BUILDER("direct: ProcessBuilder"),
    LAUNCHER("direct: Launcher"),
    LAUNCHER_TRACED("direct: Launcher + tracer"),
    DAEMON("airlockd via client library");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  Kind kind();

  default String name() {
    return kind().label;
  }

  /**
   * Runs the command once.
   *
   * @return the daemon's own measure of the action's wall time in microseconds, or -1
   */
  long runOnce() throws Exception;

  private static void drain(InputStream in) throws IOException {
    byte[] buffer = new byte[8192];
    while (in.read(buffer) >= 0) {
      // `true` prints nothing; read anyway, as every real caller must.
    }
  }

  /** What a Java build tool does: {@link ProcessBuilder} (posix_spawn + jspawnhelper on JDK 17). */
  static Spawner processBuilder(String path) {
    ThreadLocal<ProcessBuilder> builders =
        ThreadLocal.withInitial(
            () -> {
              ProcessBuilder builder = new ProcessBuilder(COMMAND).directory(CWD.toFile());
              builder.environment().clear();
              builder.environment().put("PATH", path);
              builder.redirectInput(new File("/dev/null"));
              return builder;
            });
    return new Spawner() {
      @Override
      public Kind kind() {
        return Kind.PROCESS_BUILDER;
      }

      @Override
      public long runOnce() throws Exception {
        Process process = builders.get().start();
        try {
          drain(process.getInputStream());
          drain(process.getErrorStream());
          int status = process.waitFor();
          if (status != 0) {
            throw new IllegalStateException("ProcessBuilder: true exited with " + status);
          }
          return -1;
        } finally {
          process.getInputStream().close();
          process.getErrorStream().close();
        }
      }
    };
  }

  /** The daemon's own spawn path (posix_spawn of airlock-launcher via JNA), in this JVM. */
  static Spawner launcher(Launcher launcher, String path) {
    LaunchSpec spec = new LaunchSpec(COMMAND, Map.of("PATH", path), CWD, false);
    return new Spawner() {
      @Override
      public Kind kind() {
        return Kind.LAUNCHER;
      }

      @Override
      public long runOnce() throws Exception {
        try (LaunchedProcess process = launcher.launch(spec)) {
          drain(process.stdout());
          drain(process.stderr());
          ExitStatus status = process.awaitExit();
          Optional<LaunchFailure> failure = process.launchFailure();
          if (failure.isPresent()) {
            throw new IllegalStateException("Launcher: " + failure.get().message());
          }
          if (!status.exited() || status.exitCode() != 0) {
            throw new IllegalStateException("Launcher: true ended with " + status);
          }
          return -1;
        }
      }
    };
  }

  /**
   * The daemon's spawn path as it runs every action: the launcher under a seccomp filter, followed
   * with ptrace from the spawning thread until the process tree is gone. No daemon, no socket.
   */
  static Spawner tracedLauncher(Launcher launcher, String path) {
    LaunchSpec spec = new LaunchSpec(COMMAND, Map.of("PATH", path), CWD, false);
    SyscallTable syscalls = SyscallTable.current();
    byte[] filter = Tracer.filter(syscalls).toBytes();
    return new Spawner() {
      @Override
      public Kind kind() {
        return Kind.LAUNCHER_TRACED;
      }

      @Override
      public long runOnce() throws Exception {
        Tracer tracer = new Tracer(syscalls);
        try (LaunchedProcess process = launcher.launchTraced(spec, filter)) {
          // The tracer runs the process to its end; `true` writes nothing, so its pipes cannot
          // fill meanwhile (the daemon pumps them on other threads).
          tracer.seize(process);
          TraceResult trace = tracer.run(process);
          drain(process.stdout());
          drain(process.stderr());
          ExitStatus status = trace.rootStatus();
          Optional<LaunchFailure> failure = process.launchFailure();
          if (failure.isPresent()) {
            throw new IllegalStateException("traced Launcher: " + failure.get().message());
          }
          if (!status.exited() || status.exitCode() != 0) {
            throw new IllegalStateException("traced Launcher: true ended with " + status);
          }
          return -1;
        }
      }
    };
  }

  /**
   * Through airlockd with the Java client library: one connection per action, as a build tool would
   * use it.
   */
  static Spawner daemon(Path socket, String path) {
    return new DaemonSpawner(AirlockClient.forSocket(socket), path);
  }

  final class DaemonSpawner implements Spawner {
    private final AirlockClient client;
    private final ExecuteRequest request;

    DaemonSpawner(AirlockClient client, String path) {
      this.client = client;
      this.request =
          ExecuteRequest.newBuilder()
              .addAllArgv(PathBytes.toWire(COMMAND))
              .putAllEnv(PathBytes.toWire(Map.of("PATH", path)))
              .setCwd(PathBytes.toWire(CWD.toString()))
              .setLabel("bench-latency")
              // The run path, every time: a replayed `true` would measure the cache instead.
              .setCacheMode(CacheMode.CACHE_OFF)
              // No copy-on-write layer: the daemon refuses / as a workspace to overlay, and `true`
              // writes nothing; the benchmark measures running, not committing.
              .setUnsafeDirectWrites(true)
              .build();
    }

    @Override
    public Kind kind() {
      return Kind.DAEMON;
    }

    @Override
    public long runOnce() throws Exception {
      ActionResult result;
      try (ActionCall call = client.execute(request)) {
        result = call.awaitResult(OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
      }
      if (result == null
          || result.getOutcome() != Outcome.COMPLETED
          || !result.hasExitCode()
          || result.getExitCode() != 0) {
        throw new IllegalStateException(
            "airlockd: true did not succeed: " + (result == null ? "no result" : result));
      }
      return result.getWallTimeUs();
    }
  }
}
