package dev.airlock.daemon.policy;

import dev.airlock.protocol.Network;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.AccessGuard;
import dev.airlock.sandbox.linux.trace.AccessKind;
import dev.airlock.sandbox.linux.trace.FastPathScope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An action's policy as the tracer asks it. Probes are always allowed (the kernel cannot restrict
 * stat either, and compilers probe widely), except of hidden paths, which look absent. Directories
 * on the way to a granted path may be listed, and created when they lead to a writable one.
 */
public final class PolicyGuard implements AccessGuard {
  private static final Pattern PROC_PID = Pattern.compile("/proc/(\\d+)(?=/|$)");

  private final EffectivePolicy policy;
  private final boolean isolatedNetwork;

  /**
   * @param isolatedNetwork whether an action without network runs in a network namespace of its own
   *     (then its loopback is its own, and connecting to it harms nothing)
   */
  public PolicyGuard(EffectivePolicy policy, boolean isolatedNetwork) {
    this.policy = policy;
    this.isolatedNetwork = isolatedNetwork;
  }

  @Override
  public Verdict check(AccessKind intent, String path, int pid) {
    if (intent == AccessKind.CONNECT) {
      return connect(path);
    }
    Path p = PathBytes.toPath(selfRelative(path, pid));
    if (policy.isHidden(p)) {
      return policy.isDaemonState(p) ? Verdict.PROTECT : Verdict.HIDE;
    }
    boolean allowed =
        switch (intent) {
          case STAT_PROBE, ABSENT_PROBE -> true;
          // A READ at an open's entry may be a directory's; only a directory leads somewhere.
          case READ, ENUMERATE -> policy.canList(p);
          case CREATE -> policy.canCreateDirectory(p);
          case EXEC -> policy.canExecute(p);
          default -> policy.canWrite(p);
        };
    if (allowed) {
      return Verdict.ALLOW;
    }
    return policy.enforcing() ? Verdict.DENY : Verdict.REPORT;
  }

  /**
   * Where the fast path's shim may serve calls without asking: probes everywhere but hidden trees
   * (they are always allowed otherwise), reads and listings under each readable or writable grant
   * (a private /tmp's grant of /tmp excepted: it does not reach the host trees kept visible inside
   * it, so reads there stop and are asked), nothing in hidden trees.
   */
  @Override
  public FastPathScope fastPathScope() {
    List<FastPathScope.Entry> entries = new ArrayList<>();
    entries.add(new FastPathScope.Entry("/", FastPathScope.Reach.PROBES));
    List<Path> grants = new ArrayList<>(policy.readable());
    grants.addAll(policy.writable());
    for (Path grant : grants) {
      if (!(policy.privateTmp() && grant.equals(TMP)) && !policy.isHidden(grant)) {
        entries.add(new FastPathScope.Entry(PathBytes.of(grant), FastPathScope.Reach.ALL));
      }
    }
    for (Path hidden : policy.hidden()) {
      entries.add(new FastPathScope.Entry(PathBytes.of(hidden), FastPathScope.Reach.NONE));
    }
    return FastPathScope.of(entries);
  }

  private static final Path TMP = Path.of("/tmp");

  @Override
  public int processLimit() {
    return policy.limits().getProcesses();
  }

  @Override
  public boolean restrictsUnixSockets() {
    // Without network only the action's own sockets, in its writable roots, may be reached.
    return policy.enforcing() && policy.network() == Network.NETWORK_NONE;
  }

  @Override
  public boolean allowsNamespaces() {
    return policy.allowNamespaces();
  }

  /** A connect(2) to an address, by the policy's network rule; local sockets by path. */
  private Verdict connect(String address) {
    if (address.startsWith("unix:/")) {
      Path socket = PathBytes.toPath(address.substring("unix:".length()));
      // The daemon's own socket is hidden like the rest of its state.
      if (policy.isHidden(socket)) {
        return policy.isDaemonState(socket) ? Verdict.PROTECT : Verdict.HIDE;
      }
      // A socket on the host (docker.sock, D-Bus, an agent) is a way out of the sandbox, as a
      // network connection is; one the action made in its own writable roots is its own.
      if (policy.network() != Network.NETWORK_NONE || policy.canWrite(socket)) {
        return Verdict.ALLOW;
      }
      return policy.enforcing() ? Verdict.DENY : Verdict.REPORT;
    }
    boolean allowed =
        switch (policy.network()) {
          case NETWORK_FULL -> true;
          case NETWORK_LOOPBACK -> address.startsWith("unix:") || isLoopback(address);
          // In its own namespace the action's loopback is its own; without one, nothing.
          // Abstract unix sockets reach daemons outside the sandbox, so they count as network.
          default -> isolatedNetwork && isLoopback(address);
        };
    if (allowed) {
      return Verdict.ALLOW;
    }
    return policy.enforcing() ? Verdict.DENY : Verdict.REPORT;
  }

  private static boolean isLoopback(String address) {
    return address.startsWith("inet:127.") || address.startsWith("inet6:[0:0:0:0:0:0:0:1]");
  }

  /**
   * Policies name a process's own /proc directory /proc/self; the tracer resolves that to
   * /proc/PID, and a process in the action's pid namespace names itself by its pid there (what
   * getpid returns), not by the tracer's.
   */
  private static String selfRelative(String path, int pid) {
    Matcher m = PROC_PID.matcher(path);
    if (!m.lookingAt()) {
      return path;
    }
    String named = m.group(1);
    boolean self =
        named.equals(Integer.toString(pid))
            || NamespacePid.of(pid).map(ns -> named.equals(Integer.toString(ns))).orElse(false);
    return self ? "/proc/self" + path.substring(m.end()) : path;
  }
}
