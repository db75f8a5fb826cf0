package dev.airlock.client.cli;

import dev.airlock.protocol.Signals;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The client's standard output, whose reader may go away first ({@code airlock run -- yes | head
 * -1}). The JVM ignores SIGPIPE, so such a write fails with EPIPE instead of killing the client as
 * it would a shell command; it becomes {@link ReaderGone}, which the commands turn into what a
 * shell shows: status 141 (128 + SIGPIPE) and no message.
 */
public final class ClientStdout extends OutputStream {

  /** The status of a command whose output pipe closed. */
  static final int EXIT_READER_GONE = 128 + Signals.SIGPIPE;

  /** A write to stdout failed because nothing reads it any more. */
  public static final class ReaderGone extends IOException {
    private static final long serialVersionUID = 1L;

    public ReaderGone(IOException cause) {
      super("the reader of standard output went away", cause);
    }
  }

  private final OutputStream out = new FileOutputStream(FileDescriptor.out);

  @Override
  public void write(int b) throws IOException {
    try {
      out.write(b);
    } catch (IOException e) {
      throw readerGoneOr(e);
    }
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    try {
      out.write(b, off, len);
    } catch (IOException e) {
      throw readerGoneOr(e);
    }
  }

  @Override
  public void flush() throws IOException {
    try {
      out.flush();
    } catch (IOException e) {
      throw readerGoneOr(e);
    }
  }

  /**
   * A failed write to a pipe or socket is EPIPE: the only error they give a blocking writer. To a
   * file or terminal it is a real error (a full disk) and stays one. The JDK gives only strerror
   * text, so the kind of file decides, not the message.
   */
  private static IOException readerGoneOr(IOException e) {
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
      return target.startsWith("pipe:") || target.startsWith("socket:") ? new ReaderGone(e) : e;
    } catch (IOException | UnsupportedOperationException notKnown) {
      return e;
    }
  }
}
