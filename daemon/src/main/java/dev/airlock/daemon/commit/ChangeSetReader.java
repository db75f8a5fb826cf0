package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.PosixFiles.Stat;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Computes the net changes of an action from the upper dir its overlay (mounted with {@code
 * userxattr}) left behind, by comparing each upper entry with the lower it shadowed.
 *
 * <p>The upper dir holds only net effects: a file created then deleted leaves nothing, a renamed
 * directory is a whiteout plus a new directory (unprivileged overlays have no {@code redirect_dir},
 * so {@code rename(2)} of a directory gives EXDEV and {@code mv} copies). Neither layer may change
 * while this runs.
 */
public final class ChangeSetReader {
  private static final String OPAQUE = "overlay.opaque";
  private static final String WHITEOUT = "overlay.whiteout";

  private ChangeSetReader() {}

  /**
   * Reads the change set of {@code upper} over {@code lower}.
   *
   * @param upper the overlay's upper dir, no longer mounted
   * @param lower the directory the overlay was mounted over (the workspace)
   */
  public static ChangeSet read(Path upper, Path lower) throws IOException {
    List<Change> changes = new ArrayList<>();
    // A queue, not recursion: an action can nest directories far deeper than a thread's stack
    // (thousands of levels overflowed it and the action never finished).
    Deque<Dir> dirs = new ArrayDeque<>();
    dirs.add(new Dir("", upper, lower));
    while (!dirs.isEmpty()) {
      walk(dirs.poll(), changes, dirs);
    }
    return ChangeSet.of(changes);
  }

  /** A directory of the upper dir still to read; lower is null below an opaque or new one. */
  private record Dir(String path, Path upper, Path lower) {}

  private static void walk(Dir dir, List<Change> out, Deque<Dir> pending) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir.upper())) {
      stream.forEach(children::add);
    }
    children.sort(null);
    for (Path upper : children) {
      String name = PathBytes.of(upper.getFileName());
      String path = dir.path().isEmpty() ? name : dir.path() + "/" + name;
      Path lower = dir.lower() == null ? null : dir.lower().resolve(upper.getFileName());
      Stat lowerStat = lower == null ? null : PosixFiles.lstatOrNull(lower);
      visit(path, upper, PosixFiles.lstat(upper), lower, lowerStat, out, pending);
    }
  }

  private static void visit(
      String path,
      Path upper,
      Stat stat,
      Path lower,
      Stat lowerStat,
      List<Change> out,
      Deque<Dir> pending)
      throws IOException {
    if (isWhiteout(upper, stat)) {
      if (lowerStat != null) {
        out.add(Change.delete(path));
      }
      // Otherwise the action created and deleted the name; the overlay keeps the whiteout only
      // because a lower name once hid there or for its own bookkeeping.
      return;
    }
    if (stat.isDirectory()) {
      boolean opaque = "y".equals(PosixFiles.userXattrOrNull(upper, OPAQUE));
      if (lowerStat != null && lowerStat.isDirectory() && !opaque) {
        // A copied-up container: its own content is only its children.
        if (stat.mode() != lowerStat.mode()) {
          out.add(Change.chmod(path, stat.mode()));
        }
        pending.add(new Dir(path, upper, lower));
        return;
      }
      if (lowerStat != null) {
        out.add(Change.delete(path));
      }
      out.add(Change.createDir(path, stat.mode(), stat.mtime()));
      pending.add(new Dir(path, upper, null));
      return;
    }
    if (stat.isFile()) {
      visitFile(path, upper, stat, lower, lowerStat, out);
      return;
    }
    if (stat.isSymlink()) {
      String target = PathBytes.of(Files.readSymbolicLink(upper));
      if (lowerStat != null && lowerStat.isSymlink()) {
        if (!target.equals(PathBytes.of(Files.readSymbolicLink(lower)))) {
          out.add(Change.createSymlink(path, target));
        }
        return;
      }
      if (lowerStat != null && lowerStat.isDirectory()) {
        out.add(Change.delete(path));
      }
      out.add(Change.createSymlink(path, target));
      return;
    }
    // Sockets, fifos and devices are not outputs; the lower entry they replaced is still gone.
    if (lowerStat != null) {
      out.add(Change.delete(path));
    }
  }

  private static void visitFile(
      String path, Path upper, Stat stat, Path lower, Stat lowerStat, List<Change> out)
      throws IOException {
    if (lowerStat == null) {
      out.add(Change.createFile(path, upper, stat.mode(), stat.size(), stat.mtime()));
      return;
    }
    if (lowerStat.isDirectory()) {
      out.add(Change.delete(path));
      out.add(Change.createFile(path, upper, stat.mode(), stat.size(), stat.mtime()));
      return;
    }
    // Any open for writing, even O_RDWR without a write, or a bare touch copies the whole file
    // up, so a copy-up proves nothing: compare. A changed mtime alone is not a change.
    if (lowerStat.isFile()
        && lowerStat.size() == stat.size()
        && Files.mismatch(upper, lower) == -1L) {
      if (lowerStat.mode() != stat.mode()) {
        out.add(Change.chmod(path, stat.mode()));
      }
      return;
    }
    out.add(Change.replaceFile(path, upper, stat.mode(), stat.size(), stat.mtime()));
  }

  private static boolean isWhiteout(Path upper, Stat stat) throws IOException {
    // Layers written by users (not the kernel) may mark whiteouts as empty files with an xattr.
    return stat.isWhiteoutDevice()
        || stat.isFile() && stat.size() == 0 && PosixFiles.userXattrOrNull(upper, WHITEOUT) != null;
  }
}
