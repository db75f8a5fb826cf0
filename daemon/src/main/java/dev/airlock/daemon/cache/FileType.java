package dev.airlock.daemon.cache;

/** What kind of file a path names, as lstat(2) sees it (symlinks are not followed). */
public enum FileType {
  // The stat cache stores ordinals: append only.
  FILE,
  DIRECTORY,
  SYMLINK,
  /** A device, fifo or socket. */
  OTHER
}
