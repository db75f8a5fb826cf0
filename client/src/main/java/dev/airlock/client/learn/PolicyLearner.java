package dev.airlock.client.learn;

import dev.airlock.protocol.Access;
import dev.airlock.protocol.Network;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Policy;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Learns a policy from what runs of an action were seen to do: every successful access the base
 * policy does not already grant becomes a grant (reads and listings readable, execs executable and
 * readable, writes of any kind writable, connects the network level they need), grouped by the
 * {@link PathCollapser}'s rule. Learning from a run adds to what earlier runs taught, so a policy
 * learned over several runs grants what any of them needed.
 */
public final class PolicyLearner {
  private static final Pattern PROC_PID = Pattern.compile("^/proc/\\d+(?=/|$)");

  private final BaseGrants base;
  private final PolicyPaths paths;
  private final PathCollapser collapser;

  PolicyLearner(BaseGrants base, PolicyPaths paths, int threshold) {
    this.base = base;
    this.paths = paths;
    this.collapser = new PathCollapser(threshold);
  }

  /**
   * A learner for runs in one workspace.
   *
   * @param baseName the base as the learned policy's {@code extends} names it
   * @param base that policy as the loader returns it (its own bases merged)
   * @param workspace the runs' workspace root, absolute
   * @param home the user's home directory, when known
   * @param threshold accessed entries that make a directory granted whole (see {@link
   *     PathCollapser})
   */
  public static PolicyLearner forBase(
      String baseName, Policy base, String workspace, Optional<String> home, int threshold) {
    PolicyPaths paths = new PolicyPaths(workspace, home);
    return new PolicyLearner(new BaseGrants(baseName, base, paths), paths, threshold);
  }

  /** {@code earlier} with {@code run} merged in. */
  public LearnedPolicy learn(LearnedPolicy earlier, ObservedRun run) {
    Map<GrantKind, Map<String, Tally>> seen = new EnumMap<>(GrantKind.class);
    for (GrantKind kind : GrantKind.values()) {
      seen.put(kind, new HashMap<>(earlier.grants(kind)));
    }
    Network network = earlier.network();
    Optional<Tally> networkUse = earlier.networkUse();
    List<String> looks = new ArrayList<>();
    for (Access access : run.accesses()) {
      if (access.getErrno() != 0) {
        continue; // a failed access needs no grant (an absent file, a refused open)
      }
      String path =
          PROC_PID.matcher(PathBytes.fromWire(access.getPath())).replaceFirst("/proc/self");
      switch (access.getKind()) {
        case READ -> read(seen, path);
        case STAT_PROBE, ENUMERATE -> looks.add(path);
        case EXEC -> {
          read(seen, path);
          if (!base.executable(path)) {
            add(seen, GrantKind.EXECUTABLE, installation(path).orElse(path), path);
          }
        }
        case WRITE,
            CREATE,
            TRUNCATE,
            DELETE,
            RENAME_FROM,
            RENAME_TO,
            LINK,
            SYMLINK,
            ATTRIBUTE_CHANGE ->
            write(seen, path);
        case CONNECT -> {
          Network needed = networkFor(path);
          if (needed.getNumber() > base.network().getNumber()) {
            network = needed.getNumber() > network.getNumber() ? needed : network;
            networkUse =
                Optional.of(networkUse.map(t -> t.plus(Tally.of(path))).orElse(Tally.of(path)));
          }
        }
        default -> {} // absent probes need nothing; escapes are never granted
      }
    }
    // A stat or a listing of a directory on the way to something readable needs no grant (the
    // mount tree has the way down, and names only): only the others are reads of their own.
    Set<String> onTheWayToGrants = new HashSet<>();
    seen.values().forEach(m -> m.keySet().forEach(g -> addWayTo(onTheWayToGrants, g)));
    for (String path : looks) {
      boolean onTheWay =
          paths.isAboveWorkspace(path)
              || base.leadsToReadable(path)
              || onTheWayToGrants.contains(paths.symbolic(path));
      if (!onTheWay) {
        read(seen, path).ifPresent(g -> addWayTo(onTheWayToGrants, g));
      }
    }
    Map<GrantKind, Map<String, Tally>> grants = new EnumMap<>(GrantKind.class);
    for (GrantKind kind : GrantKind.values()) {
      grants.put(kind, collapser.collapse(seen.get(kind)));
    }
    String description =
        "learned from: " + String.join(" ", run.command()).replaceAll("\\p{Cntrl}", "?");
    return new LearnedPolicy(
        earlier.base(), earlier.runs() + 1, description, grants, network, networkUse);
  }

  /** A grant and every directory above it: what a look at any of them is on the way to. */
  private static void addWayTo(Set<String> ways, String grant) {
    for (Optional<String> p = Optional.of(grant);
        p.isPresent() && ways.add(p.get());
        p = PolicyPaths.parent(p.get())) {}
  }

  /** Grants a read unless the base covers it; the grant's symbolic path when one was added. */
  private Optional<String> read(Map<GrantKind, Map<String, Tally>> seen, String path) {
    if (base.readable(path) || privateTmp(path)) {
      return Optional.empty();
    }
    return Optional.of(add(seen, GrantKind.READABLE, installation(path).orElse(path), path));
  }

  private void write(Map<GrantKind, Map<String, Tally>> seen, String path) {
    if (!base.writable(path) && !privateTmp(path)) {
      add(seen, GrantKind.WRITABLE, path, path);
    }
  }

  private String add(
      Map<GrantKind, Map<String, Tally>> seen, GrantKind kind, String grant, String example) {
    String symbolic = representable(paths.symbolic(grant));
    seen.get(kind).merge(symbolic, Tally.of(paths.symbolic(example)), Tally::plus);
    return symbolic;
  }

  private boolean privateTmp(String path) {
    return base.privateTmp() && PolicyPaths.isAtOrBelow(path, "/tmp") && !paths.hasVariable(path);
  }

  /**
   * A toolchain outside the system directories is granted whole: for a program in {@code
   * PREFIX/bin} or {@code PREFIX/sbin} that is neither in the workspace nor the home directory,
   * {@code PREFIX} (unless it is / or a top-level directory). Reads below a known installation fold
   * into it too.
   */
  private Optional<String> installation(String path) {
    if (paths.hasVariable(path)) {
      return Optional.empty();
    }
    Optional<String> dir = PolicyPaths.parent(path);
    while (dir.isPresent()) {
      String name = dir.get().substring(dir.get().lastIndexOf('/') + 1);
      if (name.equals("bin") || name.equals("sbin")) {
        return PolicyPaths.parent(dir.get()).filter(PathCollapser::mayBeGranted);
      }
      dir = PolicyPaths.parent(dir.get());
    }
    return Optional.empty();
  }

  /**
   * A policy holds strings: a name that is not UTF-8 is granted through its nearest parent that is.
   */
  private static String representable(String symbolic) {
    String path = symbolic;
    while (path.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
      path = PolicyPaths.parent(path).orElse("/");
    }
    return path;
  }

  /** The network level a connect needs; a unix socket the action may write to is its own. */
  private Network networkFor(String address) {
    if (address.startsWith("unix:/") && base.writable(address.substring(5))) {
      return Network.NETWORK_NONE;
    }
    if (address.startsWith("unix:")
        || address.startsWith("inet:127.")
        || address.startsWith("inet6:[0:0:0:0:0:0:0:1]")
        || address.startsWith("inet6:[::1]")) {
      return Network.NETWORK_LOOPBACK;
    }
    return Network.NETWORK_FULL;
  }
}
