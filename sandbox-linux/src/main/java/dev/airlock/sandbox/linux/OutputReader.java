package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import java.io.IOException;

/**
 * Reads a command's stdout and stderr pipes together, on one thread, with one poll(2) over both:
 * one thread per action instead of two. Each chunk goes to the sink as soon as it is read.
 */
public final class OutputReader {
  private static final int POLL_SLICE_MS = 100;

  /** What is still read after {@link #abandon()}: what is buffered, never unbounded. */
  private static final long ABANDONED_READ_BUDGET = 4L << 20;

  /** Receives output chunks; may block (backpressure reaches the command through the pipe). */
  public interface Sink {
    void chunk(boolean stderr, byte[] data, int length);
  }

  private final int[] fds;
  private final Memory pollFds = LinuxLibc.allocate(2L * LinuxLibc.POLLFD_BYTES);
  private final Memory buffer;
  private final byte[] chunk;
  private volatile boolean abandoned;

  OutputReader(int stdoutFd, int stderrFd, int chunkBytes) {
    this.fds = new int[] {stdoutFd, stderrFd};
    this.buffer = LinuxLibc.allocate(chunkBytes);
    this.chunk = new byte[chunkBytes];
  }

  /** From now on, read only what is already buffered, then stop. */
  public void abandon() {
    abandoned = true;
  }

  /** Copies both pipes to the sink until both reach end-of-file (or abandon). */
  public void run(Sink sink) throws IOException {
    boolean[] open = {true, true};
    long drainedAfterAbandon = 0;
    while (open[0] || open[1]) {
      boolean draining = abandoned;
      if (draining && drainedAfterAbandon >= ABANDONED_READ_BUDGET) {
        return;
      }
      for (int i = 0; i < 2; i++) {
        // A closed pipe is polled as fd -1, which poll(2) ignores.
        pollFds.setInt(i * 8L, open[i] ? fds[i] : -1);
        pollFds.setShort(i * 8L + 4, LinuxLibc.POLLIN);
        pollFds.setShort(i * 8L + 6, (short) 0);
      }
      int ready = LinuxLibc.poll(pollFds, 2, draining ? 0 : POLL_SLICE_MS);
      if (ready < 0) {
        int errno = LinuxLibc.errno();
        if (errno == Errno.EINTR) {
          continue;
        }
        throw ErrnoException.of("poll(output pipes)", errno);
      }
      if (ready == 0) {
        if (draining) {
          return;
        }
        continue;
      }
      for (int i = 0; i < 2; i++) {
        if (!open[i] || pollFds.getShort(i * 8L + 6) == 0) {
          continue;
        }
        long n = LinuxLibc.read(fds[i], buffer, buffer.size());
        if (n < 0) {
          int errno = LinuxLibc.errno();
          if (errno == Errno.EINTR || errno == Errno.EAGAIN) {
            continue;
          }
          throw ErrnoException.of("read(output pipe)", errno);
        }
        if (n == 0) {
          open[i] = false;
          continue;
        }
        if (draining) {
          drainedAfterAbandon += n;
        }
        buffer.read(0, chunk, 0, (int) n);
        sink.chunk(i == 1, chunk, (int) n);
      }
    }
  }
}
