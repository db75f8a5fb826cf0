package dev.airlock.daemon.action;

import java.util.ArrayDeque;

/**
 * Standard input a client streams to its action, buffered between the socket and the command's
 * stdin pipe. The buffer is bounded by flow control, not by dropping: once it holds more than a
 * high watermark, {@link #offer} says so and the caller stops reading the socket until the pump has
 * drained it below the low watermark and the resume callback runs.
 */
public final class StdinFeed {
  static final long HIGH_WATERMARK_BYTES = 1 << 20;
  static final long LOW_WATERMARK_BYTES = 256 << 10;

  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
  private long bufferedBytes;
  private boolean eof;
  private boolean paused;
  private Runnable resume = () -> {};

  /** Sets what to run when a paused feed has drained enough to take more. */
  public synchronized void onResume(Runnable resume) {
    this.resume = resume;
  }

  /**
   * Adds a chunk; returns false when the producer should pause until the resume callback runs. Data
   * after end-of-file is ignored.
   */
  public synchronized boolean offer(byte[] data, boolean endOfFile) {
    if (eof) {
      return true;
    }
    if (data.length > 0) {
      chunks.add(data);
      bufferedBytes += data.length;
    }
    eof = endOfFile;
    notifyAll();
    if (bufferedBytes > HIGH_WATERMARK_BYTES) {
      paused = true;
      return false;
    }
    return true;
  }

  /** Ends the input: what is buffered is still delivered, then end-of-file. */
  public synchronized void close() {
    eof = true;
    notifyAll();
  }

  /** Next chunk, or null at end-of-file. */
  public byte[] take() throws InterruptedException {
    Runnable toRun = null;
    byte[] chunk;
    synchronized (this) {
      while (chunks.isEmpty() && !eof) {
        wait();
      }
      chunk = chunks.poll();
      if (chunk != null) {
        bufferedBytes -= chunk.length;
        if (paused && bufferedBytes < LOW_WATERMARK_BYTES) {
          paused = false;
          toRun = resume;
        }
      }
    }
    if (toRun != null) {
      toRun.run();
    }
    return chunk;
  }
}
