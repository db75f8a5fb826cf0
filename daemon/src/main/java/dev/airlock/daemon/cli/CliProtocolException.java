package dev.airlock.daemon.cli;

/** A CLI session's client broke the framing: the session ends with a message and status 125. */
final class CliProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CliProtocolException(String message) {
    super(message);
  }
}
