package dev.airlock.daemon.server;

import dev.airlock.protocol.ErrorCode;

/** A frame the daemon cannot accept; the connection gets an Error frame and is closed. */
final class FrameException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  FrameException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  ErrorCode code() {
    return code;
  }
}
