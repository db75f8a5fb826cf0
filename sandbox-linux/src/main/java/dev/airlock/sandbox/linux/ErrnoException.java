package dev.airlock.sandbox.linux;

import java.io.IOException;

/**
 * A failed system call, with its errno kept: {@code "pipe2() failed: EMFILE (Too many open
 * files)"}.
 */
public class ErrnoException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int errno;

  public ErrnoException(String call, int errno) {
    super(call + " failed: " + Errno.describe(errno));
    this.errno = errno;
  }

  /**
   * The exception for {@code errno}: a subclass where callers branch on it ({@link
   * BrokenPipeException}, {@link NoSuchProcessException}), this class otherwise.
   */
  public static ErrnoException of(String call, int errno) {
    return switch (errno) {
      case Errno.EPIPE -> new BrokenPipeException(call);
      case Errno.ESRCH -> new NoSuchProcessException(call);
      default -> new ErrnoException(call, errno);
    };
  }

  /** The errno value, e.g. 2 for ENOENT. */
  public int errno() {
    return errno;
  }
}
