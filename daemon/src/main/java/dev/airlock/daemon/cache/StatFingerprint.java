package dev.airlock.daemon.cache;

import static dev.airlock.sandbox.linux.FileMode.S_IFDIR;
import static dev.airlock.sandbox.linux.FileMode.S_IFLNK;
import static dev.airlock.sandbox.linux.FileMode.S_IFMT;
import static dev.airlock.sandbox.linux.FileMode.S_IFREG;

import dev.airlock.sandbox.linux.FileStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The lstat(2) fields that tell whether a file may have changed: device, inode, size, and mtime and
 * ctime in nanoseconds (the Linux JDK's {@code unix:} view keeps full precision).
 */
record StatFingerprint(
    FileType type, long dev, long ino, long size, long mtimeNanos, long ctimeNanos) {

  /** Stats {@code path} without following a final symlink; empty when nothing is there. */
  static Optional<StatFingerprint> read(Path path) throws IOException {
    // statx through JNA: this runs for every path of every lookup, and the JDK's attribute map
    // cost several times the system call.
    Optional<FileStatus> status = FileStatus.lstat(path);
    if (status.isEmpty()) {
      return Optional.empty();
    }
    FileStatus s = status.get();
    return Optional.of(
        new StatFingerprint(
            typeOf(s.mode()), s.dev(), s.ino(), s.size(), s.mtimeNanos(), s.ctimeNanos()));
  }

  private static FileType typeOf(int mode) {
    return switch (mode & S_IFMT) {
      case S_IFREG -> FileType.FILE;
      case S_IFDIR -> FileType.DIRECTORY;
      case S_IFLNK -> FileType.SYMLINK;
      default -> FileType.OTHER;
    };
  }
}
