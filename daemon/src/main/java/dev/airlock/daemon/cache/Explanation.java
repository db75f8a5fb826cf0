package dev.airlock.daemon.cache;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a lookup would find: the recorded path set closest to now (most paths in their recorded
 * state), the paths whose state has changed since, in path order, and, when none has, the recorded
 * result it leads to.
 */
public record Explanation(
    int pathSetsCompared,
    PathSet nearest,
    int pathsMatching,
    List<Difference> differences,
    Optional<CachedResult> match) {
  public Explanation {
    Objects.requireNonNull(nearest);
    differences = List.copyOf(differences);
  }

  /** An explanation without a matching result (a miss). */
  public Explanation(
      int pathSetsCompared, PathSet nearest, int pathsMatching, List<Difference> differences) {
    this(pathSetsCompared, nearest, pathsMatching, differences, Optional.empty());
  }

  /** One observed path whose state now differs from the recorded run's. */
  public record Difference(ObservedPath path, PathState recorded, PathState now) {}

  /**
   * The first changed path; empty when every path is as recorded, which means the entry itself was
   * dropped (by gc, or because a blob it needed was lost).
   */
  public Optional<Difference> firstDifference() {
    return differences.isEmpty() ? Optional.empty() : Optional.of(differences.get(0));
  }
}
