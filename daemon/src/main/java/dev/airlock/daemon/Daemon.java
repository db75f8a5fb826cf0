package dev.airlock.daemon;

import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.action.DaemonStatus;
import dev.airlock.daemon.action.SharedState;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cli.CliSessions;
import dev.airlock.daemon.commit.OverlayProbe;
import dev.airlock.daemon.commit.WriteTransactions;
import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.PolicyResolver;
import dev.airlock.daemon.reapi.GrpcEndpoints;
import dev.airlock.daemon.reapi.ReapiServer;
import dev.airlock.daemon.reapi.runner.RunnerService;
import dev.airlock.daemon.server.DaemonControl;
import dev.airlock.daemon.server.DaemonServer;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.protocol.Protocol;
import dev.airlock.protocol.StatusReply;
import dev.airlock.protocol.Version;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import dev.airlock.sandbox.linux.LinuxPlatform;
import dev.airlock.sandbox.linux.Processes;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.trace.TraceMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A running airlockd. It opens its resources in one place, in order (the state lock, the log, the
 * state database, the write transactions, the action cache, the action service, the socket), and
 * closes them in the reverse order, each exactly once.
 */
final class Daemon implements DaemonControl, AutoCloseable {
  private static final Logger log = Logger.getLogger(Daemon.class.getName());

  private final DaemonConfig config;
  private final long startMillis = System.currentTimeMillis();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Map<String, String> sandboxFeatures = new TreeMap<>();

  /** Everything opened, the last opened first: closed in this order. */
  private final Deque<AutoCloseable> resources = new ArrayDeque<>();

  private StateDirectory state;
  private Path logFile;
  private ActionService actions;
  private CompletableFuture<Integer> shutdown;
  private boolean serving;
  private List<Integer> reapiPorts = List.of();
  private boolean closed;

  private Daemon(DaemonConfig config, LinuxPlatform platform) {
    this.config = config;
    this.sandboxFeatures.putAll(platform.features());
  }

  /** Locks the state directory, opens every resource in order, and binds the socket. */
  static Daemon start(DaemonConfig config, LinuxPlatform platform)
      throws IOException, InterruptedException {
    Daemon daemon = new Daemon(config, platform);
    try {
      daemon.open(platform);
      return daemon;
    } catch (IOException | RuntimeException | InterruptedException e) {
      daemon.close();
      throw e;
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    resources.push(resource);
    return resource;
  }

  private void open(LinuxPlatform platform) throws IOException, InterruptedException {
    AirlockPaths paths = config.paths();
    state = own(StateDirectory.lock(paths.stateDir()));
    state.recordServedSocket(paths.socket());
    logFile = DaemonLogging.install(state.logDirectory(), config.logToStderr());
    Launcher launcher = new Launcher(LauncherBinary.extractTo(state.libexecDirectory()));
    boolean namespaces = launcher.namespacesWork();
    if (!namespaces) {
      log.warning(
          "the kernel refuses user namespaces here: actions run without the mount and network"
              + " layers (seccomp and the tracer still apply); results list their confinement");
    }
    boolean pidNamespace = namespaces && launcher.pidNamespaceWorks();
    if (namespaces && !pidNamespace) {
      log.warning(
          "the kernel refuses a pid namespace with a fresh /proc here (a masked /proc?): actions"
              + " see the host's processes in /proc; results list their confinement");
    }
    // The database is closed after everything that uses it: no transaction may outlive it.
    StateDatabase db = own(StateDatabase.open(state.root().resolve("db")));
    boolean overlays = namespaces && OverlayProbe.works(launcher, state.root());
    if (!overlays) {
      log.warning(
          "no copy-on-write layer here (no user namespaces or no overlayfs): actions that may"
              + " write are refused unless the request allows direct writes");
    }
    WriteTransactions writes =
        own(WriteTransactions.open(db, state.root(), overlays, CrashInjection.fromEnvironment()));
    CacheStores cache = own(CacheStores.open(db, state.root(), config.remoteCache()));
    config
        .remoteCache()
        .ifPresent(
            r ->
                log.info(
                    "sharing the action cache through "
                        + r.address()
                        + (r.upload() ? " (fetch and upload)" : " (fetch only)")));
    // The fast path's shim, extracted beside the launcher; strict mode has none.
    Optional<ShimLibrary> shim =
        config.traceMode() == TraceMode.FAST
            ? Optional.of(own(ShimLibrary.load(state.libexecDirectory())))
            : Optional.empty();
    SharedState shared = new SharedState(writes, cache);
    actions =
        own(
            new ActionService(
                launcher,
                // The daemon's own socket and state are never visible to an action.
                new PolicyResolver(
                    List.of(state.root(), paths.socket()),
                    Path.of(System.getProperty("user.home"))),
                new ConfinementPlanner(namespaces, pidNamespace, platform.landlockAbi()),
                shared,
                config.maxParallel(),
                config.maxQueued(),
                config.killGraceMillis(),
                config.pinActions(),
                shim));
    sandboxFeatures.put("user-namespaces", namespaces ? "yes" : "no");
    sandboxFeatures.put("pid-namespace", pidNamespace ? "yes" : "no");
    sandboxFeatures.put("copy-on-write", overlays ? "overlayfs" : "no");
    sandboxFeatures.put("trace", config.traceMode().name().toLowerCase(Locale.ROOT));
    StateDirectory.prepareSocketPath(paths.socket());
    CliSessions cliSessions = new CliSessions(paths.socket());
    DaemonServer server =
        DaemonServer.bind(
            paths.socket(),
            actions,
            this,
            Processes.uid(),
            Protocol.MAX_FRAME_BYTES,
            config.idleTimeoutMillis(),
            cliSessions);
    // Only the daemon that bound the socket removes it: one that failed to start (another
    // daemon listens there) must leave the live socket alone.
    own(() -> Files.deleteIfExists(paths.socket()));
    own(server);
    // Closed before the server: a session gets to tell its client how its action ended.
    own(cliSessions);
    Files.setPosixFilePermissions(paths.socket(), PosixFilePermissions.fromString("rw-------"));
    openRemoteFrontEnds(shared);
    serving = true;
    log.info(
        "airlockd "
            + Version.current()
            + " listening on "
            + paths.socket()
            + " (pid "
            + ProcessHandle.current().pid()
            + ", max "
            + config.maxParallel()
            + " parallel)");
  }

  /**
   * The gRPC front ends the configuration asks for (off by default): the REAPI server and the
   * Buildbarn runner. They are closed before the action service, like the daemon's own socket.
   */
  private void openRemoteFrontEnds(SharedState shared) throws IOException {
    RemoteConfig remote = config.remote();
    if (!remote.reapi().isEmpty()) {
      ReapiServer reapi =
          own(
              ReapiServer.start(
                  actions,
                  shared,
                  state.root(),
                  remote.execDirFor(state.root()),
                  remote.reapi(),
                  Processes.uid()));
      sandboxFeatures.put("reapi", remote.reapi().toString());
      reapiPorts = reapi.ports();
    }
    if (remote.runner().isPresent()) {
      own(
          GrpcEndpoints.bind(
              remote.runner().get(),
              List.of(
                  new RunnerService(
                      actions, remote.runnerBuildDir().orElseThrow(), remote.runnerPolicy())),
              Processes.uid()));
      sandboxFeatures.put("buildbarn-runner", remote.runner().get().toString());
      log.info("Buildbarn runner listening on " + remote.runner().get());
    }
  }

  /** The REAPI server's TCP ports, once started (for port 0 in tests). */
  List<Integer> reapiPorts() {
    return reapiPorts;
  }

  /** Blocks until a Shutdown request or a signal has stopped the daemon. */
  void awaitStopped() throws InterruptedException {
    stopped.await();
  }

  @Override
  public StatusReply status() {
    DaemonStatus counts = actions.status();
    return StatusReply.newBuilder()
        .setPid(ProcessHandle.current().pid())
        .setVersion(Version.current())
        .setProtocolVersion(Protocol.VERSION)
        .setUptimeMs(System.currentTimeMillis() - startMillis)
        .setSocketPath(config.paths().socket().toString())
        .setStateDir(state.root().toString())
        .setLogPath(logFile.toString())
        .setRunningActions(counts.running())
        .setQueuedActions(counts.queued())
        .setFinishedActions(counts.finished())
        .setMaxParallel(counts.maxParallel())
        .setMaxQueued(counts.maxQueued())
        .putAllSandboxFeatures(sandboxFeatures)
        .build();
  }

  @Override
  public synchronized CompletableFuture<Integer> shutdown() {
    if (shutdown == null) {
      log.info("shutting down: cancelling running and queued actions");
      shutdown =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return actions.shutdown(config.killGraceMillis() + 10_000);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return 0;
                }
              },
              r -> {
                Thread t = new Thread(r, "airlock-shutdown");
                t.setDaemon(true);
                t.start();
              });
    }
    return shutdown;
  }

  @Override
  public void stopServing() {
    stopped.countDown();
  }

  /**
   * Stops serving and releases everything, the last opened first; safe to call more than once, from
   * any thread.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopped.countDown();
    while (!resources.isEmpty()) {
      AutoCloseable resource = resources.pop();
      try {
        resource.close();
      } catch (Exception e) {
        log.log(Level.WARNING, "cannot close " + resource, e);
      }
    }
    if (serving) {
      // A daemon that never served says why it stopped on its own (one line, from main).
      log.info("airlockd stopped");
    }
  }
}
