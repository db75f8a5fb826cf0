package dev.airlock.daemon;

import dev.airlock.daemon.action.ActionService;
import dev.airlock.daemon.action.ActionStores;
import dev.airlock.daemon.action.DaemonStatus;
import dev.airlock.daemon.cache.ActionCaching;
import dev.airlock.daemon.commit.OverlayProbe;
import dev.airlock.daemon.commit.WriteTransactions;
import dev.airlock.daemon.policy.ConfinementPlanner;
import dev.airlock.daemon.policy.PolicyResolver;
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
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/** A running airlockd: owns the state lock, the action service and the socket, in that order. */
final class Daemon implements DaemonControl, AutoCloseable {
  private static final Logger log = Logger.getLogger(Daemon.class.getName());

  private final DaemonConfig config;
  private final LinuxPlatform platform;
  private final StateDirectory state;
  private final Path logFile;
  private final ActionService actions;
  private final long startMillis = System.currentTimeMillis();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private DaemonServer server;
  private CompletableFuture<Integer> shutdown;
  private boolean closed;
  private final Map<String, String> sandboxFeatures = new TreeMap<>();
  private StateDatabase db;
  private WriteTransactions writes;

  private Daemon(
      DaemonConfig config,
      LinuxPlatform platform,
      StateDirectory state,
      Path logFile,
      ActionService actions) {
    this.config = config;
    this.platform = platform;
    this.state = state;
    this.logFile = logFile;
    this.actions = actions;
    this.sandboxFeatures.putAll(platform.features());
  }

  /** Locks the state directory, prepares the launcher and binds the socket. */
  static Daemon start(DaemonConfig config, LinuxPlatform platform)
      throws IOException, InterruptedException {
    AirlockPaths paths = config.paths();
    StateDirectory state = StateDirectory.lock(paths.stateDir());
    Daemon daemon = null;
    StateDatabase db = null;
    try {
      Path logFile = DaemonLogging.install(state.logDirectory(), config.logToStderr());
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
      db = StateDatabase.open(state.root().resolve("db"));
      boolean overlays = namespaces && OverlayProbe.works(launcher, state.root());
      if (!overlays) {
        log.warning(
            "no copy-on-write layer here (no user namespaces or no overlayfs): actions that may"
                + " write are refused unless the request allows direct writes");
      }
      WriteTransactions writes =
          WriteTransactions.open(db, state.root(), overlays, CrashInjection.fromEnvironment());
      ActionService actions =
          new ActionService(
              launcher,
              // The daemon's own socket and state are never visible to an action.
              new PolicyResolver(
                  List.of(state.root(), paths.socket()), Path.of(System.getProperty("user.home"))),
              new ConfinementPlanner(namespaces, pidNamespace, platform.landlockAbi()),
              new ActionStores(writes, ActionCaching.open(db, state.root())),
              config.maxParallel(),
              config.maxQueued(),
              config.killGraceMillis(),
              config.pinActions(),
              // The fast path's shim, extracted beside the launcher; strict mode has none.
              config.traceMode() == TraceMode.FAST
                  ? ShimLibrary.load(state.libexecDirectory())
                  : null);
      daemon = new Daemon(config, platform, state, logFile, actions);
      daemon.db = db;
      daemon.writes = writes;
      daemon.sandboxFeatures.put("user-namespaces", namespaces ? "yes" : "no");
      daemon.sandboxFeatures.put("pid-namespace", pidNamespace ? "yes" : "no");
      daemon.sandboxFeatures.put("copy-on-write", overlays ? "overlayfs" : "no");
      daemon.sandboxFeatures.put(
          "trace", config.traceMode().name().toLowerCase(java.util.Locale.ROOT));
      StateDirectory.prepareSocketPath(paths.socket());
      daemon.server =
          DaemonServer.bind(
              paths.socket(), actions, daemon, Processes.uid(), Protocol.MAX_FRAME_BYTES);
      Files.setPosixFilePermissions(paths.socket(), PosixFilePermissions.fromString("rw-------"));
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
      return daemon;
    } catch (IOException | RuntimeException | InterruptedException e) {
      if (daemon != null) {
        daemon.close();
      } else {
        if (db != null) {
          db.close();
        }
        state.close();
      }
      throw e;
    }
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

  /** Stops serving and releases everything; safe to call more than once, from any thread. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopped.countDown();
    if (server != null) {
      server.close();
      // Only the daemon that bound the socket removes it: one that failed to start (another
      // daemon listens there) must leave the live socket alone.
      try {
        Files.deleteIfExists(config.paths().socket());
      } catch (IOException e) {
        log.log(Level.WARNING, "cannot remove the socket", e);
      }
    }
    actions.close();
    if (writes != null) {
      try {
        writes.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (db != null) {
      db.close(); // after the actions: no transaction may outlive the environment
    }
    try {
      state.close();
    } catch (IOException e) {
      log.log(Level.WARNING, "cannot release the state lock", e);
    }
    log.info("airlockd stopped");
  }
}
