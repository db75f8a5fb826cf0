package dev.airlock.client;

import java.io.IOException;

/** No daemon accepts connections on the socket (not started, or it died). */
public final class DaemonUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  public DaemonUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
