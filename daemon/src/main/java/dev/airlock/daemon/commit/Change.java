package dev.airlock.daemon.commit;

import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;

/**
 * One net change an action made to a workspace, at a workspace-relative path.
 *
 * <p>Which fields a kind carries: files carry {@code source} (the file in the overlay's upper dir),
 * {@code mode}, {@code size} and {@code mtime}; directories {@code mode} and {@code mtime};
 * symlinks {@code linkTarget}; {@code CHMOD} only {@code mode}; {@code DELETE} nothing. Fields a
 * kind does not carry are null or 0, checked by the constructor. A type change (a directory
 * replaced by a file, say) is a {@code DELETE} followed by a {@code CREATE_*} at the same path.
 *
 * @param path relative, normalised, '/'-separated, never empty and never with ".." components
 * @param mode permission bits including setuid, setgid and sticky ({@code 07777})
 */
public record Change(
    String path, Kind kind, Path source, int mode, long size, FileTime mtime, String linkTarget) {

  /** What happened at a path. */
  public enum Kind {
    /** The path and everything below it is removed; always ordered before a creation there. */
    DELETE,
    /** A directory is created where the workspace has nothing (or had something deleted). */
    CREATE_DIR,
    /** A regular file is created where the workspace has nothing (or had something deleted). */
    CREATE_FILE,
    /** A regular file, symlink or special file is atomically replaced by a new regular file. */
    REPLACE_FILE,
    /** A symlink is created, atomically replacing a non-directory that may be there. */
    CREATE_SYMLINK,
    /** Only the permission bits of an existing entry change. */
    CHMOD
  }

  public Change {
    Objects.requireNonNull(kind, "kind");
    checkPath(path);
    boolean file = kind == Kind.CREATE_FILE || kind == Kind.REPLACE_FILE;
    boolean hasMode = file || kind == Kind.CREATE_DIR || kind == Kind.CHMOD;
    require(file == (source != null), kind, "a source iff it is a file");
    require(file || size == 0, kind, "size 0 unless it is a file");
    require(size >= 0, kind, "a non-negative size");
    require(hasMode || mode == 0, kind, "mode 0 for a symlink or deletion");
    require((mode & ~07777) == 0, kind, "only permission bits in mode");
    require(
        (file || kind == Kind.CREATE_DIR) == (mtime != null), kind, "mtime (files and dirs only)");
    require(
        (kind == Kind.CREATE_SYMLINK) == (linkTarget != null), kind, "a linkTarget iff a symlink");
  }

  /** A new regular file, whose content is {@code source}. */
  public static Change createFile(String path, Path source, int mode, long size, FileTime mtime) {
    return new Change(path, Kind.CREATE_FILE, source, mode, size, mtime, null);
  }

  /** An existing file whose content (and maybe mode) changed; the new content is {@code source}. */
  public static Change replaceFile(String path, Path source, int mode, long size, FileTime mtime) {
    return new Change(path, Kind.REPLACE_FILE, source, mode, size, mtime, null);
  }

  /** A new directory. */
  public static Change createDir(String path, int mode, FileTime mtime) {
    return new Change(path, Kind.CREATE_DIR, null, mode, 0, mtime, null);
  }

  /** A new symlink. */
  public static Change createSymlink(String path, String linkTarget) {
    return new Change(path, Kind.CREATE_SYMLINK, null, 0, 0, null, linkTarget);
  }

  /** A removed file, symlink or directory tree. */
  public static Change delete(String path) {
    return new Change(path, Kind.DELETE, null, 0, 0, null, null);
  }

  /** A mode change of an entry whose content did not change. */
  public static Change chmod(String path, int mode) {
    return new Change(path, Kind.CHMOD, null, mode, 0, null, null);
  }

  /** Whether this change puts a new entry at its path (as opposed to deleting or chmod-ing). */
  public boolean creates() {
    return kind != Kind.DELETE && kind != Kind.CHMOD;
  }

  /** The parent's relative path, or "" for an entry directly in the workspace root. */
  public String parent() {
    return parentOf(path);
  }

  static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** Checks that {@code path} is a normalised, non-empty, relative '/'-separated path. */
  static void checkPath(String path) {
    Objects.requireNonNull(path, "path");
    if (path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\0")) {
      throw new IllegalArgumentException("not a relative workspace path: '" + path + "'");
    }
    for (String part : path.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("not a normalised workspace path: '" + path + "'");
      }
    }
  }

  private static void require(boolean ok, Kind kind, String what) {
    if (!ok) {
      throw new IllegalArgumentException("a " + kind + " change needs " + what + " as on Change");
    }
  }
}
