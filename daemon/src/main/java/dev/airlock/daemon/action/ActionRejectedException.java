package dev.airlock.daemon.action;

import dev.airlock.protocol.ErrorCode;

/** A request the daemon will not run; the code and message go back to the client. */
public final class ActionRejectedException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public ActionRejectedException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
