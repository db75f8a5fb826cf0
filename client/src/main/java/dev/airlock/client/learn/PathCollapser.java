package dev.airlock.client.learn;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rule that turns accessed paths into the grants of a learned policy, so that a policy lists
 * directories where a build touched many files and single files where it touched a few:
 *
 * <ol>
 *   <li>a path below another path of the set is folded into it (its access counted there);
 *   <li>a directory holding at least {@code threshold} paths of the set is granted whole instead of
 *       them, and the rule repeats upwards, a granted directory counting as one path of its parent;
 *   <li>nothing collapses into {@code /}, a top-level directory ({@code /etc}, {@code /home}) or
 *       {@code ${home}} itself: a policy granting those would grant nearly everything. The
 *       workspace itself may be granted whole.
 * </ol>
 */
final class PathCollapser {
  private final int threshold;

  /**
   * @param threshold how many accessed entries make a directory granted whole (at least 2)
   */
  PathCollapser(int threshold) {
    if (threshold < 2) {
      throw new IllegalArgumentException(
          "the collapse threshold must be at least 2, not " + threshold);
    }
    this.threshold = threshold;
  }

  /** The grants for the accessed paths (symbolic, see {@link PolicyPaths}), sorted by path. */
  Map<String, Tally> collapse(Map<String, Tally> accessed) {
    // Each directory's entries that are or lead to an accessed path. Collapsing deeper
    // directories first would not change these counts, so one pass finds every directory
    // granted whole.
    Map<String, Set<String>> entries = new HashMap<>();
    for (String path : accessed.keySet()) {
      String child = path;
      Optional<String> dir = PolicyPaths.parent(path);
      while (dir.isPresent()) {
        if (mayBeGranted(dir.get())) {
          entries.computeIfAbsent(dir.get(), d -> new HashSet<>()).add(child);
        }
        child = dir.get();
        dir = PolicyPaths.parent(child);
      }
    }
    Set<String> grants = new HashSet<>(accessed.keySet());
    entries.forEach(
        (dir, below) -> {
          if (below.size() >= threshold) {
            grants.add(dir);
          }
        });
    return foldInto(grants, accessed);
  }

  /** Each accessed path's tally added to the outermost grant at or above it. */
  private static Map<String, Tally> foldInto(Set<String> grants, Map<String, Tally> accessed) {
    Map<String, Tally> folded = new TreeMap<>();
    for (Map.Entry<String, Tally> e : new TreeMap<>(accessed).entrySet()) {
      String holder = e.getKey();
      for (Optional<String> dir = PolicyPaths.parent(holder);
          dir.isPresent();
          dir = PolicyPaths.parent(dir.get())) {
        if (grants.contains(dir.get())) {
          holder = dir.get();
        }
      }
      folded.merge(holder, e.getValue(), Tally::plus);
    }
    return folded;
  }

  /** Whether a directory may be granted whole by collapsing (the third rule). */
  static boolean mayBeGranted(String directory) {
    if (directory.equals(PolicyPaths.HOME)) {
      return false;
    }
    if (directory.startsWith("$")) {
      return true;
    }
    // "/" and "/etc" have at most one slash.
    return directory.indexOf('/', 1) > 0;
  }
}
