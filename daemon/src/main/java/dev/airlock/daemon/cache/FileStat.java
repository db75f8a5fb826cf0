package dev.airlock.daemon.cache;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The lstat(2) fields that tell whether a file may have changed: device, inode, size, and mtime and
 * ctime in nanoseconds (the Linux JDK's {@code unix:} view keeps full precision).
 */
record FileStat(FileType type, long dev, long ino, long size, long mtimeNanos, long ctimeNanos) {
  private static final String ATTRIBUTES = "unix:mode,dev,ino,size,lastModifiedTime,ctime";
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  /** Stats {@code path} without following a final symlink; empty when nothing is there. */
  static Optional<FileStat> read(Path path) throws IOException {
    Map<String, Object> a;
    try {
      a = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (FileSystemException e) {
      // ENOTDIR (a file where a directory was expected on the way) also means "not there"; the
      // JDK reports it only as a FileSystemException with strerror's text.
      Path parent = path.getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        return Optional.empty();
      }
      throw e;
    }
    return Optional.of(
        new FileStat(
            typeOf((Integer) a.get("mode")),
            (Long) a.get("dev"),
            (Long) a.get("ino"),
            (Long) a.get("size"),
            nanos(a.get("lastModifiedTime")),
            nanos(a.get("ctime"))));
  }

  private static FileType typeOf(int mode) {
    return switch (mode & S_IFMT) {
      case S_IFREG -> FileType.FILE;
      case S_IFDIR -> FileType.DIRECTORY;
      case S_IFLNK -> FileType.SYMLINK;
      default -> FileType.OTHER;
    };
  }

  private static long nanos(Object time) {
    return ((FileTime) time).to(TimeUnit.NANOSECONDS);
  }
}
