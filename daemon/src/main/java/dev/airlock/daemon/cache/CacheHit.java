package dev.airlock.daemon.cache;

import java.util.Objects;

/** A lookup that found a result: the strong fingerprint it matched, and the result to replay. */
public record CacheHit(StrongFingerprint strong, CachedResult result) {
  public CacheHit {
    Objects.requireNonNull(strong);
    Objects.requireNonNull(result);
  }
}
