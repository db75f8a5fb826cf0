package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.PosixFiles.Stat;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies journal steps to a workspace. Every step is idempotent given the ones before it, so that
 * recovery can run a half-applied plan again from its first step.
 */
final class StepApplier {
  private StepApplier() {}

  /** Applies {@code step}, or finishes it, or does nothing when it is already done. */
  static void apply(Path workspace, CommitStep step) throws IOException {
    Path path = PathBytes.resolve(workspace, step.path());
    switch (step.op()) {
      case RENAME -> {
        Path staged = PathBytes.resolve(workspace, step.staged());
        // A missing temp means this rename already happened.
        if (exists(staged)) {
          rename(staged, path);
        }
      }
      case EXCHANGE -> {
        Path staged = PathBytes.resolve(workspace, step.staged());
        Path retired = PathBytes.resolve(workspace, step.retired());
        if (exists(staged)) {
          // rename(2) cannot replace a directory by a file or a non-empty directory, so the old
          // entry steps aside first; if it already has, what is at path is nothing of ours.
          if (exists(path) && !exists(retired)) {
            rename(path, retired);
          }
          rename(staged, path);
        }
        PosixFiles.deleteTree(retired);
      }
      case DELETE -> {
        Path retired = PathBytes.resolve(workspace, step.retired());
        // Renaming first makes the deletion of a tree atomic for readers of the workspace.
        if (exists(path)) {
          rename(path, retired);
        }
        PosixFiles.deleteTree(retired);
      }
      case CHMOD -> {
        Stat stat = PosixFiles.lstatOrNull(path);
        if (stat != null && !stat.isSymlink()) {
          PosixFiles.chmod(path, step.mode());
        }
      }
    }
  }

  /** Makes the steps' effects durable: one syncfs of the workspace's filesystem. */
  static void sync(Path workspace, List<CommitStep> steps) throws IOException {
    if (!steps.isEmpty()) {
      PosixFiles.syncFileSystem(workspace);
    }
  }

  /**
   * Removes every temp the steps name, whatever state they are in, and syncs their directories so
   * that no temp outlives the journal entry that names it.
   */
  static void removeTemps(Path workspace, List<String> temps) throws IOException {
    IOException failure = null;
    Set<Path> parents = new LinkedHashSet<>();
    for (String temp : temps) {
      Path path = PathBytes.resolve(workspace, temp);
      try {
        if (exists(path)) {
          PosixFiles.deleteTree(path);
          parents.add(path.getParent());
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    for (Path parent : parents) {
      PosixFiles.fsync(parent);
    }
  }

  static boolean exists(Path path) {
    return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
  }

  /** rename(2): atomic, and replaces a non-directory (or an empty directory) at {@code to}. */
  static void rename(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
  }
}
