package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes to a pipe fd owned by this stream; a reader that went away is an {@link ErrnoException}
 * with EPIPE.
 */
final class FdOutputStream extends OutputStream {
  private final int fd;
  private final Memory buffer;
  private final AtomicBoolean closed = new AtomicBoolean();

  FdOutputStream(int fd, int bufferBytes) {
    this.fd = fd;
    this.buffer = LinuxLibc.allocate(bufferBytes);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] src, int off, int len) throws IOException {
    while (len > 0) {
      if (closed.get()) {
        throw new IOException("stream closed");
      }
      int chunk = (int) Math.min(len, buffer.size());
      buffer.write(0, src, off, chunk);
      int done = 0;
      while (done < chunk) {
        long n = LinuxLibc.write(fd, buffer.share(done), chunk - done);
        if (n < 0) {
          int errno = LinuxLibc.errno();
          if (errno == Errno.EINTR) {
            continue;
          }
          throw ErrnoException.of("write(fd " + fd + ")", errno);
        }
        done += (int) n;
      }
      off += chunk;
      len -= chunk;
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      LinuxLibc.close(fd);
    }
  }
}
