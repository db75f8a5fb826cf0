package dev.airlock.daemon.cli;

import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;

/**
 * The client's stdin as the command reads it. The client sends nothing until the command first
 * reads, then at most a window ahead ({@link CliFrames#STDIN_CREDIT}): a command that never reads
 * stdin never takes it from the user's shell, and one that reads slowly holds at most a window.
 */
final class SessionStdin extends InputStream {
  static final int WINDOW = 64 * 1024;

  private final IntConsumer askForMore;
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private int headOffset;
  private long credit;
  private boolean ended;

  /**
   * @param askForMore lets the client send this many more bytes (a {@link CliFrames#STDIN_CREDIT}
   *     frame); called with the lock held, so it must not block
   */
  SessionStdin(IntConsumer askForMore) {
    this.askForMore = askForMore;
  }

  /** Bytes the client read from its stdin (event loop). */
  synchronized void received(byte[] bytes) {
    if (bytes.length > credit) {
      throw new CliProtocolException(
          "the client sent " + bytes.length + " bytes of stdin, " + credit + " were asked for");
    }
    credit -= bytes.length;
    if (bytes.length > 0) {
      chunks.add(bytes);
    }
    notifyAll();
  }

  /** The client's stdin ended, or the client went away (event loop). */
  synchronized void end() {
    ended = true;
    notifyAll();
  }

  @Override
  public int read() {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) {
    if (len == 0) {
      return 0;
    }
    while (chunks.isEmpty() && !ended) {
      if (credit == 0) {
        credit = WINDOW;
        askForMore.accept(WINDOW);
      }
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }
    if (chunks.isEmpty()) {
      return -1;
    }
    byte[] head = chunks.peek();
    int n = Math.min(len, head.length - headOffset);
    System.arraycopy(head, headOffset, b, off, n);
    headOffset += n;
    if (headOffset == head.length) {
      chunks.remove();
      headOffset = 0;
    }
    return n;
  }

  @Override
  public synchronized int available() {
    return chunks.isEmpty() ? 0 : chunks.peek().length - headOffset;
  }
}
