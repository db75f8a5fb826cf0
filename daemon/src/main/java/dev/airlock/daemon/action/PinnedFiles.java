package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where a pinned output is as the action left it: the file it wrote (still in its upper dir), the
 * workspace's file when it did not touch it, or why there is no regular file there.
 */
final class PinnedFiles {
  private PinnedFiles() {}

  /**
   * What is at a pinned path.
   *
   * @param file the content to check, when a regular file is there
   * @param mode its permission bits
   * @param missing otherwise, what is there in words ("nothing", "a directory")
   */
  record Located(Optional<Path> file, int mode, String missing) {
    static Located none(String what) {
      return new Located(Optional.empty(), 0, what);
    }
  }

  /** What the action left at {@code target}, given its change sets. */
  static Located locate(List<RootChanges> changes, Path target) throws IOException {
    Change last = null;
    boolean underDeleted = false;
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
        Path at = PathBytes.resolve(rc.root(), c.path());
        if (at.equals(target)) {
          last = c;
        } else if (c.kind() == Change.Kind.DELETE && target.startsWith(at)) {
          underDeleted = true;
        }
      }
    }
    if (last != null) {
      return switch (last.kind()) {
        case CREATE_FILE, REPLACE_FILE -> new Located(Optional.of(last.source()), last.mode(), "");
        case CHMOD -> onDisk(target, last.mode());
        case DELETE -> Located.none("nothing (the action deleted it)");
        case CREATE_DIR -> Located.none("a directory");
        case CREATE_SYMLINK -> Located.none("a symbolic link");
      };
    }
    if (underDeleted) {
      return Located.none("nothing (the action deleted a directory above it)");
    }
    return onDisk(target, -1);
  }

  /** The workspace's own file (the action left it as it was, or changed only its mode). */
  private static Located onDisk(Path target, int mode) throws IOException {
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return Located.none("nothing");
    }
    if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      return Located.none(
          Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)
              ? "a directory"
              : Files.isSymbolicLink(target) ? "a symbolic link" : "no regular file");
    }
    int bits =
        mode >= 0
            ? mode
            : (Integer) Files.getAttribute(target, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    return new Located(Optional.of(target), bits, "");
  }
}
