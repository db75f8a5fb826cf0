package dev.airlock.daemon.cache.remote;

import java.io.IOException;

/**
 * The remote cache could not serve or take an entry. {@link #unreachable} says whether the remote
 * itself failed (refused, timed out, an error status), so the daemon backs off, or only this entry
 * was bad (a corrupt or missing blob), which costs a miss and nothing more.
 */
public final class RemoteCacheException extends IOException {
  private final boolean unreachable;

  RemoteCacheException(String message, boolean unreachable) {
    super(message);
    this.unreachable = unreachable;
  }

  RemoteCacheException(String message, boolean unreachable, Throwable cause) {
    super(message, cause);
    this.unreachable = unreachable;
  }

  public boolean unreachable() {
    return unreachable;
  }
}
