package dev.airlock.daemon.cli;

import dev.airlock.client.cli.ClientStdout;
import java.io.IOException;
import java.io.OutputStream;

/** The client's stdout or stderr: each write is a frame. */
final class SessionOutput extends OutputStream {
  private static final int MAX_CHUNK = 64 * 1024;

  private final FrameSink sink;
  private final byte type;
  private volatile boolean readerGone;

  SessionOutput(FrameSink sink, byte type) {
    this.sink = sink;
    this.type = type;
  }

  /** The client said nothing reads its stdout any more: later writes fail as the JVM's would. */
  void readerGone() {
    readerGone = true;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (readerGone) {
      throw new ClientStdout.ReaderGone(new IOException("Broken pipe"));
    }
    try {
      for (int done = 0; done < len; done += MAX_CHUNK) {
        sink.send(type, b, off + done, Math.min(MAX_CHUNK, len - done));
      }
    } catch (IOException e) {
      // The client is gone: for stdout, as if nothing read it any more.
      throw type == CliFrames.STDOUT ? new ClientStdout.ReaderGone(e) : e;
    }
  }
}
