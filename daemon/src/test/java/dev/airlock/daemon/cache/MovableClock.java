package dev.airlock.daemon.cache;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The system clock plus an offset that a test moves forward, so that recordings look older than
 * they are without sleeping. Files keep their real timestamps: the kernel's clock cannot be moved.
 */
final class MovableClock extends Clock {
  private volatile Duration offset = Duration.ZERO;

  /** Moves this clock forward by {@code duration}. */
  synchronized void advance(Duration duration) {
    offset = offset.plus(duration);
  }

  @Override
  public Instant instant() {
    return Instant.now().plus(offset);
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a test clock keeps UTC");
  }
}
