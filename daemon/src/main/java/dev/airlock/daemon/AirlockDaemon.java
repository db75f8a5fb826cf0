package dev.airlock.daemon;

import dev.airlock.daemon.cache.remote.RemoteCacheAddress;
import dev.airlock.daemon.cache.remote.RemoteCacheConfig;
import dev.airlock.daemon.reapi.Endpoint;
import dev.airlock.protocol.AirlockConfigException;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.Version;
import dev.airlock.sandbox.linux.LinuxPlatform;
import dev.airlock.sandbox.linux.Processes;
import dev.airlock.sandbox.linux.trace.TraceMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code airlockd}: the daemon's command line and process lifecycle. */
@Command(
    name = "airlockd",
    mixinStandardHelpOptions = true,
    versionProvider = AirlockDaemon.VersionProvider.class,
    description = "Serves Airlock actions on a Unix domain socket until stopped.")
public final class AirlockDaemon implements Callable<Integer> {
  /** Exit status when the machine or the settings do not allow the daemon to run. */
  static final int EXIT_CONFIG = 2;

  /** Exit status when another daemon already serves the state directory or socket. */
  static final int EXIT_ALREADY_RUNNING = 3;

  @Option(
      names = "--state-dir",
      description =
          "State directory (default: $AIRLOCK_STATE_DIR, $XDG_CACHE_HOME/airlock or ~/.cache/airlock).")
  Path stateDir;

  @Option(
      names = "--socket",
      description =
          "Socket path (default: $AIRLOCK_SOCKET, $XDG_RUNTIME_DIR/airlock/airlockd.sock or <state-dir>/airlockd.sock).")
  Path socket;

  @Option(names = "--max-parallel", description = "Actions run at once (default: number of cores).")
  int maxParallel = Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--max-queued",
      description = "Actions that may wait for a slot (default: ${DEFAULT-VALUE}).")
  int maxQueued = 1024;

  @Option(
      names = "--kill-grace-ms",
      description = "Delay between the cancel signal and SIGKILL (default: ${DEFAULT-VALUE}).")
  long killGraceMillis = 2_000;

  @Option(
      names = "--idle-timeout-ms",
      description =
          "Close a connection that has no running action and sends nothing for this long"
              + " (default: ${DEFAULT-VALUE}).")
  long idleTimeoutMillis = 60_000;

  @Option(
      names = "--detach",
      description = "Leave the terminal's session (used when a client starts the daemon).")
  boolean detach;

  @Option(names = "--log-stderr", description = "Also log to standard error (foreground use).")
  boolean logToStderr;

  @Option(
      names = "--pin-actions",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Run each action and its tracer on one CPU, the least busy (default: on; traced"
              + " syscalls then avoid cross-CPU wake-ups, at the cost of one action's internal"
              + " parallelism).")
  boolean pinActions;

  @Option(
      names = "--trace",
      defaultValue = "fast",
      description =
          "How actions are traced: fast (the in-process shim serves glibc's read-only file calls"
              + " without a ptrace stop; such actions are not pinned to one CPU) or strict (every"
              + " traced syscall stops; for commands whose record must hold against the command"
              + " itself). Default: ${DEFAULT-VALUE}.")
  String trace;

  @Option(
      names = "--reapi",
      paramLabel = "HOST:PORT|PORT|unix:PATH",
      description =
          "Also serve the Remote Execution API (Bazel's --remote_executor) here; repeatable. A bare"
              + " PORT is 127.0.0.1:PORT. Off unless given.")
  List<String> reapi = new ArrayList<>();

  @Option(
      names = "--reapi-exec-dir",
      description =
          "Where REAPI actions get their exec roots (default: <state-dir>-exec beside the state"
              + " directory; keep it on the state directory's file system, so inputs are hard links).")
  Path reapiExecDir;

  @Option(
      names = "--runner",
      paramLabel = "unix:PATH",
      description =
          "Also serve Buildbarn's runner protocol here (for bb_worker). Off unless given.")
  String runner;

  @Option(
      names = "--runner-build-dir",
      description = "The build directory bb_worker's run requests are relative to.")
  Path runnerBuildDir;

  @Option(
      names = "--runner-policy",
      description =
          "Policy of runner actions, extended to write their input root (copy-on-write) and"
              + " temporary directory (default: ${DEFAULT-VALUE}).")
  String runnerPolicy = "hermetic";

  @Option(
      names = "--remote-cache",
      paramLabel = "grpc://HOST:PORT[/INSTANCE]",
      description =
          "Share the action cache through this REAPI cache (another airlockd's --reapi endpoint,"
              + " bazel-remote, Buildbarn's storage): a local miss asks it, and a stored entry is"
              + " uploaded. grpcs:// for TLS.")
  String remoteCache;

  @Option(
      names = "--remote-cache-mode",
      defaultValue = "readwrite",
      description = "read (only fetch) or readwrite (fetch and upload). Default: ${DEFAULT-VALUE}.")
  String remoteCacheMode;

  @Option(
      names = "--remote-cache-timeout-ms",
      defaultValue = "10000",
      description =
          "Deadline of each remote cache call; a remote that misses it is left alone for 30 s"
              + " while actions run and cache locally. Default: ${DEFAULT-VALUE}.")
  long remoteCacheTimeoutMillis;

  private Optional<RemoteCacheConfig> remoteCacheConfig() {
    boolean upload = RemoteCacheConfig.uploads(remoteCacheMode);
    if (remoteCache == null) {
      return Optional.empty();
    }
    if (remoteCacheTimeoutMillis < 1) {
      throw new IllegalArgumentException("--remote-cache-timeout-ms must be at least 1");
    }
    return Optional.of(
        new RemoteCacheConfig(
            RemoteCacheAddress.parse(remoteCache),
            upload,
            Duration.ofMillis(remoteCacheTimeoutMillis)));
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new AirlockDaemon()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (detach) {
      Processes.detachFromTerminal();
    }
    Daemon daemon;
    try {
      LinuxPlatform platform = LinuxPlatform.probe();
      if (!platform.problems().isEmpty()) {
        platform.problems().forEach(p -> System.err.println("airlockd: " + p));
        return EXIT_CONFIG;
      }
      AirlockPaths paths = AirlockPaths.resolve(System.getenv(), stateDir, socket);
      DaemonConfig config =
          new DaemonConfig(
              paths,
              maxParallel,
              maxQueued,
              killGraceMillis,
              idleTimeoutMillis,
              logToStderr,
              pinActions,
              switch (trace) {
                case "fast" -> TraceMode.FAST;
                case "strict" -> TraceMode.STRICT;
                default -> throw new IllegalArgumentException("--trace takes fast or strict");
              },
              new RemoteConfig(
                  reapi.stream().map(Endpoint::parse).toList(),
                  Optional.ofNullable(reapiExecDir),
                  Optional.ofNullable(runner).map(Endpoint::parse),
                  Optional.ofNullable(runnerBuildDir),
                  runnerPolicy),
              remoteCacheConfig());
      daemon = Daemon.start(config, platform);
    } catch (StateDirectory.AlreadyRunningException e) {
      System.err.println("airlockd: " + e.getMessage());
      return EXIT_ALREADY_RUNNING;
    } catch (AirlockConfigException | IllegalArgumentException e) {
      System.err.println("airlockd: " + e.getMessage());
      return EXIT_CONFIG;
    } catch (java.io.IOException e) {
      System.err.println("airlockd: cannot start: " + e.getMessage());
      return EXIT_CONFIG;
    }
    // SIGTERM and SIGINT run shutdown hooks: stop the same graceful way as a Shutdown request.
    Thread hook =
        new Thread(
            () -> {
              try {
                daemon.shutdown().get();
              } catch (Exception e) {
                // Best effort on the way out; the actions die with their process groups anyway.
              }
              daemon.close();
              // A graceful stop is a success: exit 0, not the JVM's 128 + SIGTERM (service
              // managers would count that as a failure).
              Runtime.getRuntime().halt(0);
            },
            "airlock-signal-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    System.out.println(
        "airlockd " + Version.current() + " ready, pid " + ProcessHandle.current().pid());
    System.out.flush();
    daemon.awaitStopped();
    daemon.close();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyExiting) {
      // A signal arrived meanwhile; the hook finishes the same work.
    }
    return 0;
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"airlockd " + Version.current()};
    }
  }
}
