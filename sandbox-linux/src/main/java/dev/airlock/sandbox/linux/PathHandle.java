package dev.airlock.sandbox.linux;

import java.nio.file.Path;

/**
 * An O_PATH fd on a directory, usable as a path prefix ({@code /proc/self/fd/N/...}) for as long as
 * it is open. The tracer holds one on a tracee's root ({@code /proc/PID/root}), so paths can be
 * resolved in the action's mount namespace after the process that made the call has exited.
 */
public final class PathHandle implements AutoCloseable {
  private int fd;

  private PathHandle(int fd) {
    this.fd = fd;
  }

  /** Opens {@code directory} (following a final magic link such as /proc/PID/root). */
  public static PathHandle open(Path directory) throws ErrnoException {
    int fd =
        LinuxLibc.open(
            LinuxLibc.path(directory),
            LinuxLibc.O_PATH | LinuxLibc.O_DIRECTORY | LinuxLibc.O_CLOEXEC);
    if (fd < 0) {
      throw ErrnoException.of("open(" + directory + ", O_PATH)", LinuxLibc.errno());
    }
    return new PathHandle(fd);
  }

  /** The directory as a path of this process ({@code /proc/self/fd/N}). */
  public synchronized String procPath() {
    if (fd < 0) {
      throw new IllegalStateException("closed");
    }
    return "/proc/self/fd/" + fd;
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      LinuxLibc.close(fd);
      fd = -1;
    }
  }
}
