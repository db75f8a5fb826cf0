package dev.airlock.sandbox.linux;

/** ESRCH: the process or thread is gone (killed, exited, or reaped meanwhile). */
public final class NoSuchProcessException extends ErrnoException {
  private static final long serialVersionUID = 1L;

  NoSuchProcessException(String call) {
    super(call, Errno.ESRCH);
  }
}
