package dev.airlock.sandbox.linux;

import java.nio.file.Path;

/**
 * Durability for many files at once: one syncfs(2) of the filesystem that holds them, instead of an
 * fsync per file (each of which waits for its own journal commit; for ten thousand small files that
 * is seconds, against one commit of everything).
 */
public final class FileSystemSync {
  private FileSystemSync() {}

  /**
   * Writes every dirty page and metadata change of the filesystem holding {@code path} to disk;
   * returns once they are durable.
   *
   * @throws ErrnoException when the path cannot be opened or the sync fails (EIO, ENOSPC)
   */
  public static void syncFileSystemOf(Path path) throws ErrnoException {
    int fd = LinuxLibc.open(LinuxLibc.path(path), LinuxLibc.O_RDONLY | LinuxLibc.O_CLOEXEC);
    if (fd < 0) {
      throw ErrnoException.of("open(" + path + ")", LinuxLibc.errno());
    }
    try {
      if (LinuxLibc.syncfs(fd) != 0) {
        throw ErrnoException.of("syncfs(" + path + ")", LinuxLibc.errno());
      }
    } finally {
      LinuxLibc.close(fd);
    }
  }
}
