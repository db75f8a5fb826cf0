package dev.airlock.daemon.policy;

import dev.airlock.protocol.Limits;
import dev.airlock.protocol.Network;
import dev.airlock.sandbox.linux.Confinement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Turns an action's policy into the confinement the launcher applies in the kernel, as far as this
 * machine allows: namespaces when the kernel lets the daemon create them, Landlock when it has it
 * and the policy enforces. What could not be applied is missing from {@link #layers}.
 */
public final class ConfinementPlanner {
  private static final Path ROOT = Path.of("/");
  private static final Path TMP = Path.of("/tmp");
  private static final Path PROC = Path.of("/proc");

  private final boolean namespaces;
  private final boolean pidNamespace;
  private final int landlockAbi;

  /**
   * @param namespaces whether the kernel lets the launcher create user, mount and network
   *     namespaces
   * @param pidNamespace whether it also allows a pid namespace with a fresh /proc
   * @param landlockAbi the kernel's Landlock ABI, 0 without Landlock
   */
  public ConfinementPlanner(boolean namespaces, boolean pidNamespace, int landlockAbi) {
    this.namespaces = namespaces;
    this.pidNamespace = namespaces && pidNamespace;
    this.landlockAbi = landlockAbi;
  }

  /**
   * Where an action's writes go: the roots that get a copy-on-write layer, and the writable paths
   * that cannot get one, because the nearest existing directory at or above them is {@code /}
   * itself (overlayfs cannot take {@code /} as a layer with the upper dir on the same filesystem,
   * and {@code /} holds every other mount), e.g. a workspace of {@code /}.
   */
  public record WriteRoots(List<Path> copyOnWrite, List<Path> uncovered) {
    public WriteRoots {
      copyOnWrite = List.copyOf(copyOnWrite);
      uncovered = List.copyOf(uncovered);
    }
  }

  /**
   * The writable roots whose writes go to a copy-on-write layer: the nearest existing directory of
   * each of the policy's writable paths, outermost only. "/" (the audit policy) stands for the
   * workspace alone (writes elsewhere are reported, and made in place); a private /tmp, /dev, /proc
   * and /sys need none.
   */
  public static WriteRoots writeRoots(EffectivePolicy policy, Path workspace) {
    List<Path> roots = new ArrayList<>();
    List<Path> uncovered = new ArrayList<>();
    for (Path p : policy.writable()) {
      // The workspace stands for "/" only when it exists: a missing working directory must fail
      // as such, at the launcher's chdir.
      Path dir =
          p.equals(ROOT)
              ? (java.nio.file.Files.isDirectory(workspace) ? workspace : null)
              : nearestDirectory(p);
      if (dir != null
          && dir.equals(ROOT)
          && !p.startsWith("/dev")
          && !policy.isHidden(p)
          && !(policy.privateTmp() && p.startsWith(TMP))) {
        uncovered.add(p.equals(ROOT) ? workspace : p);
        continue;
      }
      if (dir == null
          || dir.startsWith("/dev")
          || dir.startsWith("/proc")
          || dir.startsWith("/sys")
          // A private /tmp is thrown away anyway; a kept tree below it is the host's.
          || (policy.privateTmp() && dir.equals(TMP))
          || policy.isHidden(dir)
          || roots.stream().anyMatch(dir::startsWith)) {
        continue;
      }
      roots.removeIf(r -> r.startsWith(dir));
      roots.add(dir);
    }
    return new WriteRoots(roots, uncovered);
  }

  /**
   * The readable roots as Landlock rules. A rule holds the inode it was opened at, and /proc/self
   * opened by the launcher is the launcher's own /proc entry, not its children's: in a pid
   * namespace, where /proc shows the action's processes only, the rule is /proc and the tracer
   * narrows it to each process's own entries.
   */
  private static List<Path> landlockReadable(List<Path> readable, boolean pidNamespace) {
    if (!pidNamespace) {
      return readable;
    }
    List<Path> rules = new ArrayList<>();
    for (Path p : readable) {
      Path rule = p.startsWith("/proc/self") || p.startsWith("/proc/thread-self") ? PROC : p;
      if (!rules.contains(rule)) {
        rules.add(rule);
      }
    }
    return rules;
  }

  /** A policy limit as the launcher takes it: 0 is none. */
  private static OptionalLong positive(long value) {
    return value > 0 ? OptionalLong.of(value) : OptionalLong.empty();
  }

  /** Whether something is granted strictly below {@code dir}. */
  private static boolean grantsBelow(EffectivePolicy policy, Path dir) {
    return EffectivePolicy.leadsTo(dir, policy.readable())
        || EffectivePolicy.leadsTo(dir, policy.executable())
        || EffectivePolicy.leadsTo(dir, policy.writable());
  }

  private static Path nearestExisting(Path p) {
    for (Path at = p; at != null; at = at.getParent()) {
      if (java.nio.file.Files.exists(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return at;
      }
    }
    return null;
  }

  private static Path nearestDirectory(Path p) {
    for (Path at = p; at != null; at = at.getParent()) {
      if (java.nio.file.Files.isDirectory(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return at;
      }
    }
    return null;
  }

  /** The confinement of one action, plus the working directory it must keep visible. */
  public Confinement plan(EffectivePolicy policy, Path cwd) {
    return plan(policy, cwd, List.of());
  }

  /** As {@link #plan(EffectivePolicy, Path)}, with these copy-on-write overlays mounted first. */
  public Confinement plan(EffectivePolicy policy, Path cwd, List<Confinement.Overlay> overlays) {
    if (!namespaces) {
      return Confinement.NONE;
    }
    boolean everythingWritable = policy.writable().contains(ROOT);
    List<Path> writable = new ArrayList<>();
    for (Path p : policy.writable()) {
      // Device nodes need no bind: a read-only mount does not stop writes to a device.
      // Under an overlay the mount itself is writable; a bind would hide it.
      boolean overlaid = overlays.stream().anyMatch(o -> p.startsWith(o.root()));
      if (!overlaid
          && !p.equals(ROOT)
          && !p.startsWith("/dev")
          && !(policy.privateTmp() && p.startsWith(TMP))) {
        // A path still to be made (a declared output of an action without a copy-on-write layer,
        // in a scratch directory) is made writable through its nearest existing directory, as
        // Landlock's rule below is: a mount needs an existing path, and the tracer keeps the
        // action to the path itself.
        Path existing = Files.exists(p) ? p : nearestDirectory(p);
        if (existing != null && !existing.equals(ROOT) && !writable.contains(existing)) {
          writable.add(existing);
        }
      }
    }
    List<Path> keep = new ArrayList<>();
    if (policy.privateTmp()) {
      List<Path> candidates = new ArrayList<>(policy.readable());
      for (Path p : policy.writable()) {
        // What does not exist yet (a declared output) is kept through its nearest existing
        // directory below /tmp, where it will be made.
        Path existing = nearestExisting(p);
        candidates.add(
            existing == null || existing.equals(TMP) || !existing.startsWith(TMP) ? p : existing);
      }
      candidates.addAll(policy.executable());
      candidates.add(cwd);
      // An overlay under /tmp is a mount on a host directory: it is kept like the directory.
      overlays.forEach(o -> candidates.add(o.root()));
      for (Path p : candidates) {
        if (p.startsWith(TMP) && !p.equals(TMP) && keep.stream().noneMatch(p::startsWith)) {
          keep.removeIf(k -> k.startsWith(p));
          keep.add(p);
        }
      }
      // A kept tree that must be writable is bound writable inside the new /tmp.
      for (Path p : policy.writable()) {
        if (p.startsWith(TMP) && !p.equals(TMP)) {
          // As above: a path still to be made through its nearest existing directory.
          Path existing = Files.exists(p) ? p : nearestDirectory(p);
          if (existing != null
              && existing.startsWith(TMP)
              && !existing.equals(TMP)
              && !writable.contains(existing)) {
            writable.add(existing);
          }
        }
      }
    }
    List<Path> hidden = new ArrayList<>(policy.hidden());
    if (policy.enforcing() && keep.contains(cwd)) {
      // The working directory is kept whole in the private /tmp even where the policy grants
      // nothing in it: what it does not grant is covered, as hidden paths are.
      List<Path> grants = new ArrayList<>(policy.readable());
      grants.addAll(policy.writable());
      grants.addAll(policy.executable());
      // The private /tmp's own grant is the new tmpfs, not the host trees kept on it.
      grants.removeIf(TMP::equals);
      if (grants.stream().noneMatch(cwd::startsWith)) {
        for (Path p : UngrantedEntries.below(cwd, grants)) {
          if (!policy.isHidden(p)) {
            hidden.add(p);
          }
        }
      }
    }
    Limits limits = policy.limits();
    boolean landlock = landlockAbi > 0 && policy.enforcing();
    List<Path> landlockWrite = new ArrayList<>();
    List<Path> landlockList = new ArrayList<>();
    if (landlock) {
      for (Path p : policy.writable()) {
        // A rule needs an existing path: a declared output still to be made is granted through
        // its nearest existing directory (the tracer keeps the action to the output itself, and
        // that directory is a copy-on-write root, whose changes are checked before the commit).
        Path existing = nearestExisting(p);
        if (existing != null && !landlockWrite.contains(existing)) {
          landlockWrite.add(existing);
        }
      }
      if (policy.privateTmp() && !landlockWrite.contains(TMP)) {
        landlockWrite.add(TMP);
      }
      // Granted paths inside the workspace are reached by listing it (make looks for its
      // makefile so): the kernel lets the workspace be listed, the tracer narrows it to the
      // directories on the way to granted paths.
      Path workspace = policy.workspace();
      if (workspace != null
          && !workspace.equals(ROOT)
          && grantsBelow(policy, workspace)
          && !policy.canRead(workspace)) {
        landlockList.add(workspace);
      }
    }
    return new Confinement(
            true,
            // The action's own processes only: /proc shows nothing else, and when the command ends
            // the kernel ends whatever it left behind.
            pidNamespace,
            // No network: a namespace of its own, with only its own loopback (a test server the
            // action starts still works). Loopback: the host's loopback, which no namespace can
            // give, so the host network stays and the tracer refuses other addresses.
            policy.network() == Network.NETWORK_NONE
                ? Confinement.Network.LOOPBACK
                : Confinement.Network.HOST,
            // Audit mode allows and reports: nothing becomes read-only there.
            policy.enforcing() && !everythingWritable,
            policy.privateTmp(),
            writable,
            List.of(),
            keep,
            hidden,
            new Confinement.Limits(
                positive(limits.getProcesses()),
                positive(limits.getMemoryBytes()),
                positive((limits.getCpuTimeMs() + 999) / 1000),
                policy.privateTmp() ? positive(limits.getTmpBytes()) : OptionalLong.empty(),
                // One file can never exceed the layer's quota (its writes may land elsewhere too:
                // in /tmp, or in place under audit; none may be larger either).
                positive(limits.getDiskBytes())),
            landlock ? landlockReadable(policy.readable(), pidNamespace) : List.of(),
            landlock ? policy.executable() : List.of(),
            landlockWrite,
            landlockList)
        .withOverlays(overlays);
  }

  /** Whether actions get user and mount namespaces (and so a view that can hide things). */
  public boolean givesNamespaces() {
    return namespaces;
  }

  /** Whether actions get a pid namespace of their own, with an init that lives as long. */
  public boolean givesPidNamespace() {
    return pidNamespace;
  }

  /** Whether actions get a network namespace of their own when their policy has no network. */
  public boolean isolatesNetwork() {
    return namespaces;
  }

  /** The layers a confinement adds to the tracer and seccomp, for results and status. */
  public List<String> layers(Confinement c) {
    List<String> layers = new ArrayList<>(List.of("seccomp", "tracer"));
    if (c.namespaces()) {
      layers.add("user-namespace");
      layers.add("mount-namespace");
    }
    if (c.pidNamespace()) {
      layers.add("pid-namespace");
    }
    if (c.network() != Confinement.Network.HOST) {
      layers.add("network-namespace");
    }
    if (c.readOnlyRoot()) {
      layers.add("read-only-root");
    }
    if (!c.overlays().isEmpty()) {
      layers.add("copy-on-write");
    }
    if (c.landlock()) {
      layers.add("landlock-abi-" + landlockAbi);
    }
    if (c.limits().anyRlimit()) {
      layers.add("rlimits");
    }
    return layers;
  }
}
