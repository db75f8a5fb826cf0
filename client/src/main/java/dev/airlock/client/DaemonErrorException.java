package dev.airlock.client;

import dev.airlock.protocol.ErrorCode;
import java.io.IOException;

/** The daemon refused a request; the message is the daemon's, for people. */
public final class DaemonErrorException extends IOException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public DaemonErrorException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
