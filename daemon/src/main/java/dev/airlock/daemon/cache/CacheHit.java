package dev.airlock.daemon.cache;

import java.util.Objects;

/**
 * A lookup that found a result: the strong fingerprint it matched, the path set whose states
 * matched (the replay's read set), and the result to replay.
 */
public record CacheHit(StrongFingerprint strong, PathSet pathSet, CachedResult result) {
  public CacheHit {
    Objects.requireNonNull(strong);
    Objects.requireNonNull(pathSet);
    Objects.requireNonNull(result);
  }
}
