package dev.airlock.daemon.action;

import java.io.ByteArrayOutputStream;

/**
 * A copy of an action's stdout and stderr for the action cache, up to a bound: output beyond it
 * makes the action uncacheable rather than filling the daemon's heap.
 */
public final class OutputCapture {
  private final long limit;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private boolean overflowed;

  OutputCapture(long limit) {
    this.limit = limit;
  }

  synchronized void append(boolean isStderr, byte[] data, int length) {
    if (overflowed) {
      return;
    }
    if ((long) stdout.size() + stderr.size() + length > limit) {
      overflowed = true;
      stdout.reset();
      stderr.reset();
      return;
    }
    (isStderr ? stderr : stdout).write(data, 0, length);
  }

  public synchronized boolean overflowed() {
    return overflowed;
  }

  public synchronized byte[] stdout() {
    return stdout.toByteArray();
  }

  public synchronized byte[] stderr() {
    return stderr.toByteArray();
  }
}
