package dev.airlock.sandbox.linux.trace;

/**
 * One call the shim made and logged (a slot of the {@link RecordRing}), as read by the tracer;
 * reused from record to record. Ids are as the action's pid namespace numbers them; the path is
 * absolute, joined to the cwd when the call's argument was relative, and kept as {@link
 * dev.airlock.protocol.PathBytes} does.
 */
final class ShimRecord {
  int tid;
  int pid;

  /** The x86_64 number of the syscall issued. */
  int syscall;

  int dirfd;
  int flags;

  /** st_mode of what was opened or stat'ed; 0 when unknown. */
  int mode;

  /** The raw return value: {@code >= 0}, or {@code -errno}. */
  long result;

  long dev;
  long ino;
  String path;

  static final int S_IFMT = 0170000;
  static final int S_IFDIR = 0040000;

  boolean isDirectory() {
    return (mode & S_IFMT) == S_IFDIR;
  }
}
