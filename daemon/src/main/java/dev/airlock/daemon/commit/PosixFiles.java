package dev.airlock.daemon.commit;

import static dev.airlock.sandbox.linux.FileMode.S_IFCHR;
import static dev.airlock.sandbox.linux.FileMode.S_IFDIR;
import static dev.airlock.sandbox.linux.FileMode.S_IFLNK;
import static dev.airlock.sandbox.linux.FileMode.S_IFMT;
import static dev.airlock.sandbox.linux.FileMode.S_IFREG;

import dev.airlock.sandbox.linux.FileSystemSync;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Map;

/** The POSIX file operations the commit engine needs, through the JDK's "unix" attribute view. */
final class PosixFiles {

  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  private PosixFiles() {}

  /** What lstat(2) says about one entry. */
  record Stat(int type, int mode, long size, FileTime mtime, long rdev, long dev) {
    boolean isDirectory() {
      return type == S_IFDIR;
    }

    boolean isFile() {
      return type == S_IFREG;
    }

    boolean isSymlink() {
      return type == S_IFLNK;
    }

    /** A char device 0/0, the whiteout overlayfs leaves for a deleted lower name. */
    boolean isWhiteoutDevice() {
      return type == S_IFCHR && rdev == 0;
    }
  }

  /** lstat(2) of {@code path}, or null when nothing is there. */
  static Stat lstatOrNull(Path path) throws IOException {
    Map<String, Object> attributes;
    try {
      attributes = Files.readAttributes(path, "unix:mode,size,lastModifiedTime,rdev,dev", NOFOLLOW);
    } catch (NoSuchFileException e) {
      return null;
    }
    int mode = (Integer) attributes.get("mode");
    return new Stat(
        mode & S_IFMT,
        mode & 07777,
        (Long) attributes.get("size"),
        (FileTime) attributes.get("lastModifiedTime"),
        (Long) attributes.get("rdev"),
        (Long) attributes.get("dev"));
  }

  /** lstat(2) of {@code path}, which must exist. */
  static Stat lstat(Path path) throws IOException {
    Stat stat = lstatOrNull(path);
    if (stat == null) {
      throw new NoSuchFileException(path.toString());
    }
    return stat;
  }

  /** chmod(2) with all twelve permission bits (PosixFilePermission has only nine). */
  static void chmod(Path path, int mode) throws IOException {
    Files.setAttribute(path, "unix:mode", mode & 07777);
  }

  /** Sets the modification time of the entry itself, not a symlink's target. */
  static void setMtime(Path path, FileTime mtime) throws IOException {
    Files.getFileAttributeView(path, BasicFileAttributeView.class, NOFOLLOW)
        .setTimes(mtime, null, null);
  }

  /** The value of the user xattr {@code name} (without "user."), or null when it is not set. */
  static String userXattrOrNull(Path path, String name) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, NOFOLLOW);
    if (!view.list().contains(name)) {
      return null;
    }
    ByteBuffer value = ByteBuffer.allocate(view.size(name));
    view.read(name, value);
    value.flip();
    return StandardCharsets.UTF_8.decode(value).toString();
  }

  /**
   * Removes overlayfs's {@code user.overlay.*} xattrs, which a copied-up file carries and which
   * would confuse a later overlay that uses the workspace as a layer.
   */
  static void stripOverlayXattrs(Path path) throws IOException {
    UserDefinedFileAttributeView view =
        Files.getFileAttributeView(path, UserDefinedFileAttributeView.class, NOFOLLOW);
    for (String name : view.list()) {
      if (name.startsWith("overlay.")) {
        view.delete(name);
      }
    }
  }

  /** syncfs(2) of the filesystem holding {@code path}. */
  static void syncFileSystem(Path path) throws IOException {
    FileSystemSync.syncFileSystemOf(path);
  }

  /** fsync(2) of a regular file or directory; a read-only descriptor suffices on Linux. */
  static void fsync(Path path) throws IOException {
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }

  /**
   * Removes {@code path} and, for a directory, everything below it, never following symlinks. A
   * directory without owner rwx (overlayfs leaves {@code work/work} at mode 000) is opened up first
   * so that a non-root daemon can empty it.
   */
  static void deleteTree(Path path) throws IOException {
    // An action can nest directories past PATH_MAX (mkdir -p walks down with relative names),
    // and every path operation below that depth fails with ENAMETOOLONG. Each such failure moves
    // an ancestor of the entry, at half the limit, up to a child of the root, from where it is
    // reachable again; every move takes levels out of the chain, so this ends.
    int moved = 0;
    while (true) {
      try {
        deleteByPath(path);
        return;
      } catch (TooLongException e) {
        Path ancestor = path;
        for (Path part : path.relativize(e.entry)) {
          Path next = ancestor.resolve(part);
          if (next.toString().length() > HALF_PATH_MAX) {
            break;
          }
          ancestor = next;
        }
        if (ancestor.equals(path) || ancestor.getParent().equals(path)) {
          throw new java.nio.file.FileSystemException(
              e.entry.toString(), null, "File name too long: cannot reach it to delete it");
        }
        Path up = path.resolve(".airlock-deep-" + moved++);
        while (Files.exists(up, NOFOLLOW)) {
          up = path.resolve(".airlock-deep-" + moved++);
        }
        Files.move(ancestor, up);
      }
    }
  }

  private static final int HALF_PATH_MAX = 2048;

  /** An entry deleteByPath could not reach: its path is longer than PATH_MAX. */
  private static final class TooLongException extends IOException {
    private static final long serialVersionUID = 1L;
    final transient Path entry;

    TooLongException(Path entry) {
      super(entry.toString(), null);
      this.entry = entry;
    }
  }

  private static void deleteByPath(Path path) throws IOException {
    // Typed attributes: the string form ("unix:mode,...") is parsed on every call, which costs
    // milliseconds per tree while the daemon's code is still interpreted.
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW);
    } catch (NoSuchFileException e) {
      return;
    } catch (java.nio.file.FileSystemException e) {
      if ("File name too long".equals(e.getReason())) {
        throw new TooLongException(path);
      }
      throw e;
    }
    if (attributes.isDirectory()) {
      DirectoryStream<Path> opened;
      try {
        opened = Files.newDirectoryStream(path);
      } catch (AccessDeniedException e) {
        // overlayfs leaves its work dir with mode 000.
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwx------"));
        opened = Files.newDirectoryStream(path);
      }
      try (DirectoryStream<Path> children = opened) {
        for (Path child : children) {
          deleteByPath(child);
        }
      }
    }
    try {
      Files.deleteIfExists(path);
    } catch (AccessDeniedException e) {
      // A mode-000 parent (not root): open it up and retry once.
      Files.setPosixFilePermissions(path.getParent(), PosixFilePermissions.fromString("rwx------"));
      Files.deleteIfExists(path);
    }
  }
}
