package dev.airlock.daemon.cache.remote;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.logging.Logger;

/**
 * Whether the remote cache is worth asking: after it failed (refused, timed out), the daemon leaves
 * it alone for a while instead of making every action wait out a timeout, and logs the outage once
 * (and once that it is back), not once per action.
 */
final class RemoteHealth {
  private static final Logger log = Logger.getLogger(RemoteHealth.class.getName());

  /** How long a failed remote is left alone before the next action tries it again. */
  static final Duration BACKOFF = Duration.ofSeconds(30);

  private final String remote;
  private final Clock clock;
  private Instant downSince;
  private Instant retryAt;
  private String lastError;

  RemoteHealth(String remote, Clock clock) {
    this.remote = remote;
    this.clock = clock;
  }

  /**
   * Throws while the remote is backed off.
   *
   * @throws RemoteCacheException saying since when it is down and why
   */
  synchronized void check() throws RemoteCacheException {
    if (retryAt != null && clock.instant().isBefore(retryAt)) {
      throw new RemoteCacheException(
          "remote cache "
              + remote
              + " not asked: it failed at "
              + downSince
              + " ("
              + lastError
              + "); next try at "
              + retryAt,
          true);
    }
  }

  synchronized void succeeded() {
    if (downSince != null) {
      log.info("remote cache " + remote + " answers again (down since " + downSince + ")");
    }
    downSince = null;
    retryAt = null;
    lastError = null;
  }

  synchronized void failed(RemoteCacheException e) {
    if (!e.unreachable()) {
      return;
    }
    Instant now = clock.instant();
    if (downSince == null) {
      downSince = now;
      log.warning(
          e.getMessage()
              + "; actions run and are cached locally, and the remote is tried again every "
              + BACKOFF.toSeconds()
              + " s");
    }
    lastError = e.getMessage();
    retryAt = now.plus(BACKOFF);
  }
}
