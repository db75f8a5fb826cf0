package dev.airlock.daemon.cache;

import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The inputs an action really observed: observed paths sorted by path then kind, without
 * duplicates, so runs that touch the same files in a different order share one path set. Its {@link
 * #identity} names it inside a weak fingerprint.
 */
public final class PathSet {
  /**
   * Roots whose state says nothing the daemon can check later: /proc, /sys and /dev are kernel
   * views that differ per process. An action given a private /tmp (a tmpfs of its own) should also
   * have "/tmp" ignored: the daemon's /tmp is not what it saw.
   */
  public static final List<String> DEFAULT_IGNORED_ROOTS = List.of("/proc", "/sys", "/dev");

  private final List<ObservedPath> paths;
  private final Digest identity;

  private PathSet(List<ObservedPath> paths) {
    this.paths = paths;
    HashWriter w = new HashWriter("airlock.path-set.v1").int32(paths.size());
    for (ObservedPath p : paths) {
      w.string(p.path()).int32(p.kind().ordinal());
    }
    this.identity = w.finish();
  }

  /**
   * A path set of {@code observed}. An existence observation adds nothing when the same path's
   * content or listing is observed too (both states say what type is there), so it is dropped.
   */
  public static PathSet of(Collection<ObservedPath> observed) {
    TreeSet<ObservedPath> sorted = new TreeSet<>(observed);
    sorted.removeIf(
        o ->
            o.kind() == ObservationKind.EXISTENCE
                && (sorted.contains(new ObservedPath(o.path(), ObservationKind.CONTENT))
                    || sorted.contains(new ObservedPath(o.path(), ObservationKind.LISTING))));
    return new PathSet(List.copyOf(sorted));
  }

  /** This path set plus {@code more}. */
  public PathSet with(ObservedPath more) {
    List<ObservedPath> all = new ArrayList<>(paths);
    all.add(more);
    return of(all);
  }

  /**
   * The path set of a traced run, from its accesses in order of first access.
   *
   * <p>A path the action wrote before observing it is its own output (or scratch file) and is left
   * out. A path it observed before writing it stays in: its state before the run was an input (a
   * {@code sed -i} reads what it rewrites), so the caller must read states before the change set is
   * applied to the workspace.
   */
  public static PathSet fromAccesses(List<Access> accesses, List<String> ignoredRoots) {
    return fromAccesses(accesses, ignoredRoots, List.of());
  }

  /**
   * As {@link #fromAccesses(List, List)}, with two more kinds of path left out, so that an action
   * replayed over its own outputs hits again: the declared outputs (and everything below them),
   * whose state before the run the request declares irrelevant; and a path whose existence the
   * action only probed before it deleted, truncated or created it, never reading its content first
   * ({@code gcc -o x.o} stats {@code x.o} to make sure it is not an input, then replaces it). Its
   * content, had it been read first, stays an input.
   */
  public static PathSet fromAccesses(
      List<Access> accesses, List<String> ignoredRoots, List<String> declaredOutputs) {
    Map<String, Integer> firstWrite = new HashMap<>();
    Map<String, Integer> firstReplace = new HashMap<>();
    Map<String, Integer> firstContentRead = new HashMap<>();
    for (int i = 0; i < accesses.size(); i++) {
      Access a = accesses.get(i);
      if (isWrite(a.kind())) {
        firstWrite.putIfAbsent(a.path(), i);
      }
      if (replaces(a.kind()) && a.errno() == 0) {
        firstReplace.putIfAbsent(a.path(), i);
      }
      if ((a.kind() == AccessKind.READ || a.kind() == AccessKind.EXEC) && a.errno() == 0) {
        firstContentRead.putIfAbsent(a.path(), i);
      }
    }
    TreeSet<ObservedPath> observed = new TreeSet<>();
    for (int i = 0; i < accesses.size(); i++) {
      Access a = accesses.get(i);
      Optional<ObservationKind> kind = ObservationKind.of(a.kind(), a.errno());
      if (kind.isEmpty()
          || !a.path().startsWith("/")
          || firstWrite.getOrDefault(a.path(), Integer.MAX_VALUE) < i
          || isUnder(a.path(), ignoredRoots)
          || isUnder(a.path(), declaredOutputs)) {
        continue;
      }
      if (kind.get() == ObservationKind.EXISTENCE
          && firstReplace.containsKey(a.path())
          && firstContentRead.getOrDefault(a.path(), Integer.MAX_VALUE)
              > firstReplace.get(a.path())) {
        continue; // only probed, then replaced without being read
      }
      observed.add(new ObservedPath(a.path(), kind.get()));
    }
    return of(observed);
  }

  /** Whether an access of this kind puts something new at its path, whatever was there. */
  private static boolean replaces(AccessKind kind) {
    return kind == AccessKind.CREATE
        || kind == AccessKind.TRUNCATE
        || kind == AccessKind.DELETE
        || kind == AccessKind.RENAME_TO
        || kind == AccessKind.SYMLINK
        || kind == AccessKind.LINK;
  }

  /**
   * Why a traced run must not be cached, if it must not: an escape from tracing or a network
   * connection makes its result depend on more than its observed paths.
   */
  public static Optional<String> uncacheableReason(List<Access> accesses) {
    return uncacheableReason(accesses, false);
  }

  /**
   * As {@link #uncacheableReason(List)}; with {@code networkCacheable} the request vouches that
   * what the action fetched does not change its result, so only escapes count.
   */
  public static Optional<String> uncacheableReason(
      List<Access> accesses, boolean networkCacheable) {
    for (Access a : accesses) {
      if (a.kind() == AccessKind.ESCAPE) {
        return Optional.of("it escaped path tracing (" + a.path() + ")");
      }
      // A local socket that is not there (glibc asks nscd on every user lookup) reached nothing:
      // the attempt is no more network use than an absent probe is.
      boolean absentSocket =
          a.path().startsWith("unix:/") && a.errno() == dev.airlock.sandbox.linux.Errno.ENOENT;
      if (a.kind() == AccessKind.CONNECT && !networkCacheable && !absentSocket) {
        return Optional.of(
            "it used the network (" + a.path() + "); declare it cacheable to cache it");
      }
    }
    return Optional.empty();
  }

  /** Whether an access of this kind makes its path an output of the action. */
  public static boolean isWrite(AccessKind kind) {
    return switch (kind) {
      case WRITE,
          CREATE,
          TRUNCATE,
          DELETE,
          RENAME_FROM,
          RENAME_TO,
          LINK,
          SYMLINK,
          ATTRIBUTE_CHANGE ->
          true;
      default -> false;
    };
  }

  private static boolean isUnder(String path, List<String> roots) {
    for (String root : roots) {
      if (path.equals(root) || path.startsWith(root.endsWith("/") ? root : root + "/")) {
        return true;
      }
    }
    return false;
  }

  /** The observed paths, sorted. */
  public List<ObservedPath> paths() {
    return paths;
  }

  public int size() {
    return paths.size();
  }

  /** A digest of the paths and kinds (not their states). */
  public Digest identity() {
    return identity;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PathSet other && identity.equals(other.identity);
  }

  @Override
  public int hashCode() {
    return identity.hashCode();
  }

  @Override
  public String toString() {
    return "PathSet[" + paths.size() + " paths, " + identity.hex().substring(0, 12) + "]";
  }
}
