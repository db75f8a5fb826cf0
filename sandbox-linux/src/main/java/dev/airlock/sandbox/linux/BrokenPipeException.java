package dev.airlock.sandbox.linux;

/** EPIPE: the reading end of a pipe or socket went away (callers often expect it, and go on). */
public final class BrokenPipeException extends ErrnoException {
  private static final long serialVersionUID = 1L;

  BrokenPipeException(String call) {
    super(call, Errno.EPIPE);
  }
}
