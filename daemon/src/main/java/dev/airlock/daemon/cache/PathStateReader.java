package dev.airlock.daemon.cache;

import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the current {@link PathState} of observed paths from the filesystem, taking file and
 * listing digests from the {@link StatCache}. It follows no symlink: the tracer reports every link
 * it traversed as an observation of its own.
 */
public final class PathStateReader {
  private final StatCache statCache;
  private final PortablePaths workspace;

  public PathStateReader(StatCache statCache) {
    this(statCache, PortablePaths.NONE);
  }

  private PathStateReader(StatCache statCache, PortablePaths workspace) {
    this.statCache = statCache;
    this.workspace = workspace;
  }

  /**
   * This reader for paths relative to one workspace (see {@link PortablePaths}): a path names the
   * file it stands for there, and a symlink target into it reads as relative.
   */
  public PathStateReader in(PortablePaths paths) {
    return new PathStateReader(statCache, paths);
  }

  /** The state of one observed path. */
  public PathState read(ObservedPath observed) throws IOException {
    return readAll(List.of(observed)).get(0);
  }

  /** The states of {@code observed}, in order; digests are looked up and recorded in one batch. */
  public List<PathState> readAll(List<ObservedPath> observed) throws IOException {
    PathState[] states = new PathState[observed.size()];
    List<Integer> pending = new ArrayList<>();
    List<Path> pendingPaths = new ArrayList<>();
    List<StatFingerprint> pendingStats = new ArrayList<>();
    for (int i = 0; i < states.length; i++) {
      ObservedPath o = observed.get(i);
      Path path = PathBytes.toPath(workspace.absolute(o.path()));
      Optional<StatFingerprint> stat = StatFingerprint.read(path);
      if (stat.isEmpty()) {
        states[i] = PathState.ABSENT;
        continue;
      }
      FileType type = stat.get().type();
      if (needsDigest(o.kind(), type)) {
        pending.add(i);
        pendingPaths.add(path);
        pendingStats.add(stat.get());
      } else if (o.kind() == ObservationKind.CONTENT && type == FileType.SYMLINK) {
        states[i] =
            new PathState.Symlink(workspace.portable(PathBytes.of(Files.readSymbolicLink(path))));
      } else {
        states[i] = new PathState.Exists(type);
      }
    }
    List<Digest> digests = statCache.digests(pendingPaths, pendingStats);
    for (int j = 0; j < pending.size(); j++) {
      int i = pending.get(j);
      states[i] =
          pendingStats.get(j).type() == FileType.FILE
              ? new PathState.FileContent(digests.get(j))
              : new PathState.DirectoryListing(digests.get(j));
    }
    return List.of(states);
  }

  private static boolean needsDigest(ObservationKind kind, FileType type) {
    return (kind == ObservationKind.CONTENT && type == FileType.FILE)
        || (kind == ObservationKind.LISTING && type == FileType.DIRECTORY);
  }
}
