package dev.airlock.daemon.policy;

import dev.airlock.protocol.Limits;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Policy;
import dev.airlock.protocol.PolicyMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A policy with its variables expanded for one action: absolute, normalized paths, and the
 * decisions the sandbox layers ask of it. A path rule covers the path and everything below it;
 * hidden wins over every grant.
 */
public record EffectivePolicy(
    String name,
    Path workspace,
    PolicyMode mode,
    List<Path> readable,
    List<Path> writable,
    List<Path> executable,
    List<Path> hidden,
    List<Path> daemonState,
    List<Path> blockDevices,
    Network network,
    List<String> env,
    boolean privateTmp,
    boolean allowNamespaces,
    Limits limits) {

  public EffectivePolicy {
    readable = List.copyOf(readable);
    writable = List.copyOf(writable);
    executable = List.copyOf(executable);
    hidden = List.copyOf(hidden);
    daemonState = List.copyOf(daemonState);
    blockDevices = List.copyOf(blockDevices);
    env = List.copyOf(env);
  }

  /** Expands a loaded policy for an action. */
  public static EffectivePolicy of(String name, Policy policy, PolicyContext context) {
    List<Path> hidden = expand(policy.getHiddenList(), context);
    List<Path> everyAction = new ArrayList<>(context.alwaysHidden());
    everyAction.addAll(context.blockDevices());
    for (Path always : everyAction) {
      if (!hidden.contains(always)) {
        hidden.add(always);
      }
    }
    return new EffectivePolicy(
        name,
        context.workspace(),
        policy.getMode(),
        expand(policy.getReadableList(), context),
        expand(policy.getWritableList(), context),
        expand(policy.getExecutableList(), context),
        hidden,
        context.alwaysHidden(),
        context.blockDevices(),
        policy.hasNetwork() ? policy.getNetwork() : Network.NETWORK_NONE,
        policy.getEnvList(),
        policy.getPrivateTmp(),
        policy.getAllowNamespaces(),
        policy.getLimits());
  }

  /**
   * The policy as a cache key sees it: every field, but without the daemon's own state directory
   * and socket and the host's block devices, which every action is denied and which differ from one
   * daemon to the next (two daemons sharing a remote cache must compute the same key for the same
   * action).
   */
  public String keyText() {
    List<Path> ruleHidden = new ArrayList<>(hidden);
    ruleHidden.removeAll(daemonState);
    ruleHidden.removeAll(blockDevices);
    return new EffectivePolicy(
            name,
            workspace,
            mode,
            readable,
            writable,
            executable,
            ruleHidden,
            List.of(),
            List.of(),
            network,
            env,
            privateTmp,
            allowNamespaces,
            limits)
        .toString();
  }

  public boolean enforcing() {
    return mode == PolicyMode.MODE_ENFORCE;
  }

  public boolean isHidden(Path path) {
    return covered(path, hidden);
  }

  /** Whether the path is the daemon's own state or socket: hidden, and never to be sought. */
  public boolean isDaemonState(Path path) {
    return covered(path, daemonState);
  }

  public boolean canRead(Path path) {
    return !isHidden(path) && (granted(path, readable) || granted(path, writable));
  }

  public boolean canWrite(Path path) {
    return !isHidden(path) && granted(path, writable);
  }

  public boolean canExecute(Path path) {
    return !isHidden(path) && granted(path, executable);
  }

  /**
   * Whether one of {@code roots} grants {@code path}. With a private /tmp, a grant of /tmp is the
   * action's own tmpfs: it does not reach into the host trees kept visible on top of it (a
   * workspace under /tmp, a declared input there), which only their own grants open.
   */
  private boolean granted(Path path, List<Path> roots) {
    Path p = path.normalize();
    for (Path root : roots) {
      if (p.startsWith(root) && !(privateTmp && root.equals(TMP) && inKeptTree(p))) {
        return true;
      }
    }
    return false;
  }

  /** Whether a path under /tmp belongs to a host tree a private /tmp keeps visible. */
  private boolean inKeptTree(Path p) {
    if (workspace != null
        && !workspace.equals(TMP)
        && workspace.startsWith(TMP)
        && p.startsWith(workspace)) {
      return true;
    }
    for (List<Path> grants : List.of(readable, writable, executable)) {
      for (Path g : grants) {
        if (!g.equals(TMP) && g.startsWith(TMP) && p.startsWith(g)) {
          return true;
        }
      }
    }
    return false;
  }

  private static final Path TMP = Path.of("/tmp");

  /**
   * Whether a directory may be listed: a readable one, or one on the way to something granted
   * (listing the workspace to find a declared input shows names, not contents).
   */
  public boolean canList(Path path) {
    return canRead(path)
        || !isHidden(path)
            && (leadsTo(path, readable) || leadsTo(path, writable) || leadsTo(path, executable));
  }

  /**
   * Whether a directory may be created: in a writable root, or on the way to one (a declared output
   * whose parents do not exist yet).
   */
  public boolean canCreateDirectory(Path path) {
    return canWrite(path) || !isHidden(path) && leadsTo(path, writable);
  }

  /** The environment the action gets: the request's, filtered by the policy's names. */
  public Map<String, String> filterEnvironment(Map<String, String> requested) {
    if (env.isEmpty()) {
      return requested;
    }
    Map<String, String> passed = new TreeMap<>();
    requested.forEach(
        (k, v) -> {
          for (String pattern : env) {
            if (pattern.endsWith("*")
                ? k.startsWith(pattern.substring(0, pattern.length() - 1))
                : k.equals(pattern)) {
              passed.put(k, v);
              return;
            }
          }
        });
    return passed;
  }

  /** Whether {@code path} lies strictly above one of {@code roots}. */
  static boolean leadsTo(Path path, List<Path> roots) {
    Path p = path.normalize();
    for (Path root : roots) {
      if (root.startsWith(p) && !root.equals(p)) {
        return true;
      }
    }
    return false;
  }

  static boolean covered(Path path, List<Path> roots) {
    Path p = path.normalize();
    for (Path root : roots) {
      if (p.startsWith(root)) {
        return true;
      }
    }
    return false;
  }

  private static List<Path> expand(List<String> entries, PolicyContext c) {
    Set<Path> out = new LinkedHashSet<>();
    for (String entry : entries) {
      switch (entry) {
        case "${inputs}" -> c.inputs().forEach(p -> out.add(p.normalize()));
        case "${outputs}" -> c.outputs().forEach(p -> out.add(p.normalize()));
        default -> {
          String expanded =
              entry
                  .replace("${workspace}", PathBytes.of(c.workspace()))
                  .replace("${home}", PathBytes.of(c.home()))
                  .replace("${tmp}", PathBytes.of(c.tmp()));
          out.add(PathBytes.toPath(expanded).normalize());
        }
      }
    }
    return new ArrayList<>(out);
  }
}
