package dev.airlock.daemon.cache;

import java.util.Comparator;
import java.util.Objects;

/** One input of an action: an absolute path and what the action observed of it. */
public record ObservedPath(String path, ObservationKind kind) implements Comparable<ObservedPath> {
  private static final Comparator<ObservedPath> ORDER =
      Comparator.comparing(ObservedPath::path).thenComparing(ObservedPath::kind);

  public ObservedPath {
    Objects.requireNonNull(kind, "kind");
    if (!path.startsWith("/") && !path.startsWith(PortablePaths.TOKEN)) {
      throw new IllegalArgumentException(
          "an observed path must be absolute or workspace-relative: " + path);
    }
  }

  @Override
  public int compareTo(ObservedPath other) {
    return ORDER.compare(this, other);
  }
}
