package dev.airlock.daemon.determinism;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Bytes to compare, read by position: a captured stream in memory or a file left by a run. */
public interface Content {
  /** How many bytes there are. */
  long size() throws IOException;

  /**
   * Reads up to {@code length} bytes at {@code position} into {@code into}.
   *
   * @return how many were read; 0 at or past the end
   */
  int read(long position, byte[] into, int length) throws IOException;

  /** Content held in memory. */
  static Content of(byte[] bytes) {
    return new Content() {
      @Override
      public long size() {
        return bytes.length;
      }

      @Override
      public int read(long position, byte[] into, int length) {
        if (position >= bytes.length) {
          return 0;
        }
        int n = (int) Math.min(length, bytes.length - position);
        System.arraycopy(bytes, (int) position, into, 0, n);
        return n;
      }
    };
  }

  /** An open file; the caller closes the channel. */
  static Content of(FileChannel file) {
    return new Content() {
      @Override
      public long size() throws IOException {
        return file.size();
      }

      @Override
      public int read(long position, byte[] into, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
        while (buffer.hasRemaining()) {
          int n = file.read(buffer, position + buffer.position());
          if (n < 0) {
            break;
          }
        }
        return buffer.position();
      }
    };
  }
}
