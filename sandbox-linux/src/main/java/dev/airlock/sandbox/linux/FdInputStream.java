package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads a pipe fd owned by this stream. A read waits with poll() in short slices so that {@link
 * #abandon()} can end it even when a process that escaped the action still holds the write end
 * (close() alone would not wake a thread blocked in read(2)). An abandoned stream still returns
 * what is already buffered in the pipe, up to a budget, and then end-of-file.
 */
final class FdInputStream extends InputStream {
  private static final int POLL_SLICE_MS = 100;

  /** What an abandoned stream still reads: a full pipe's worth and then some, never unbounded. */
  private static final long ABANDONED_READ_BUDGET = 4L << 20;

  private final int fd;
  private final Memory buffer;
  private final Memory pollFd = LinuxLibc.allocate(LinuxLibc.POLLFD_BYTES);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean abandoned;
  private long abandonedBytesRead;

  FdInputStream(int fd, int bufferBytes) {
    this.fd = fd;
    this.buffer = LinuxLibc.allocate(bufferBytes);
    pollFd.setInt(0, fd);
    pollFd.setShort(4, LinuxLibc.POLLIN);
  }

  /** Makes a blocked or later read return end-of-file; the owner still closes the stream. */
  void abandon() {
    abandoned = true;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] dst, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (true) {
      boolean draining = abandoned;
      if (closed.get() || (draining && abandonedBytesRead >= ABANDONED_READ_BUDGET)) {
        return -1;
      }
      pollFd.setShort(6, (short) 0);
      int ready = LinuxLibc.poll(pollFd, 1, draining ? 0 : POLL_SLICE_MS);
      if (ready < 0) {
        int errno = LinuxLibc.errno();
        if (errno == Errno.EINTR) {
          continue;
        }
        throw ErrnoException.of("poll(fd " + fd + ")", errno);
      }
      if (ready == 0) {
        if (draining) {
          return -1;
        }
        continue;
      }
      long n = LinuxLibc.read(fd, buffer, Math.min(len, buffer.size()));
      if (n < 0) {
        int errno = LinuxLibc.errno();
        if (errno == Errno.EINTR || errno == Errno.EAGAIN) {
          continue;
        }
        throw ErrnoException.of("read(fd " + fd + ")", errno);
      }
      if (n == 0) {
        return -1;
      }
      if (draining) {
        abandonedBytesRead += n;
      }
      buffer.read(0, dst, off, (int) n);
      return (int) n;
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      LinuxLibc.close(fd);
    }
  }
}
