package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.Change.Kind;
import dev.airlock.daemon.commit.CommitObserver.Phase;
import dev.airlock.daemon.commit.CommitPlan.Staging;
import dev.airlock.daemon.commit.PosixFiles.Stat;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Stages a plan's creations under their temp names and makes them durable. */
final class CreationStager {
  private CreationStager() {}

  /**
   * Checks that the workspace still has room for the plan: each step's parent is a directory and
   * nothing a rename cannot replace is in the way. Conflicts are found earlier, by {@link
   * WorkspaceVersions}; this catches a workspace changed behind the daemon's back.
   */
  static void check(Path workspace, CommitPlan plan) throws CommitException {
    try {
      for (CommitStep step : plan.steps()) {
        Path path = PathBytes.resolve(workspace, step.path());
        Stat parent = PosixFiles.lstatOrNull(path.getParent());
        if (parent == null || !parent.isDirectory()) {
          throw new CommitException(
              "cannot commit " + step.path() + " into " + workspace + ": its parent is gone");
        }
        Stat stat = PosixFiles.lstatOrNull(path);
        if (step.op() == CommitStep.Op.RENAME && stat != null && stat.isDirectory()) {
          throw new CommitException(
              "cannot commit "
                  + step.path()
                  + " into "
                  + workspace
                  + ": a directory is in the way");
        }
      }
    } catch (CommitException e) {
      throw e;
    } catch (IOException e) {
      throw new CommitException(
          "cannot check " + workspace + " before commit: " + CommitException.reason(e), e);
    }
  }

  /** Stages every creation of {@code plan}; throws naming the path that failed. */
  static void stage(Path workspace, String commitId, CommitPlan plan, CommitObserver observer)
      throws CommitException {
    List<Staging> dirs = new ArrayList<>();
    Set<Path> parents = new LinkedHashSet<>();
    int n = 0;
    for (Staging staging : plan.stagings()) {
      Path destination = PathBytes.resolve(workspace, staging.destination());
      try {
        stage(staging.change(), destination);
      } catch (IOException e) {
        throw failure(workspace, staging.change(), e);
      }
      if (staging.change().kind() == Kind.CREATE_DIR) {
        dirs.add(staging);
      }
      if (staging.topLevel()) {
        parents.add(destination.getParent());
      }
      observer.reached(commitId, Phase.STAGE, n++);
    }
    // Children first: a directory's mode may forbid writing into it and adding an entry would
    // change its mtime again.
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Change dir = dirs.get(i).change();
      Path destination = PathBytes.resolve(workspace, dirs.get(i).destination());
      try {
        PosixFiles.chmod(destination, dir.mode());
        PosixFiles.setMtime(destination, dir.mtime());
      } catch (IOException e) {
        throw failure(workspace, dir, e);
      }
    }
    // One syncfs for everything staged (data, inodes, the temps' directory entries). Measured
    // with scripts/bench-store: an fsync per file costs a journal commit each (10,000 files took
    // 11.8 s), and even for one file the file-and-directory fsyncs cost more than one syncfs.
    try {
      PosixFiles.syncFileSystem(workspace);
    } catch (IOException e) {
      throw new CommitException(
          "cannot sync " + workspace + " while staging: " + CommitException.reason(e), e);
    }
  }

  private static void stage(Change change, Path destination) throws IOException {
    switch (change.kind()) {
      case CREATE_DIR -> Files.createDirectory(destination);
      case CREATE_SYMLINK ->
          Files.createSymbolicLink(destination, PathBytes.toPath(change.linkTarget()));
      case CREATE_FILE, REPLACE_FILE -> stageFile(change, destination);
      default -> throw new IllegalArgumentException("nothing to stage for " + change);
    }
  }

  private static void stageFile(Change change, Path destination) throws IOException {
    try {
      // Same filesystem (the usual case, see OverlayDirs): no data is copied.
      Files.move(change.source(), destination, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.copy(change.source(), destination, LinkOption.NOFOLLOW_LINKS);
    }
    PosixFiles.stripOverlayXattrs(destination);
    PosixFiles.chmod(destination, change.mode());
    PosixFiles.setMtime(destination, change.mtime());
  }

  private static CommitException failure(Path workspace, Change change, IOException e) {
    return new CommitException(
        "cannot stage "
            + change.path()
            + " into "
            + workspace
            + ": "
            + CommitException.reason(e)
            + "; the commit was abandoned and the workspace left as it was",
        e);
  }
}
