package dev.airlock.daemon.cache;

import java.util.Objects;

/**
 * One entry of the action cache as recorded: its key, the weak fingerprint and path set it hangs
 * from, and its result.
 */
public record RecordedEntry(
    StrongFingerprint key, Digest weak, Digest pathSetIdentity, CachedResult result) {
  public RecordedEntry {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(weak, "weak");
    Objects.requireNonNull(pathSetIdentity, "pathSetIdentity");
    Objects.requireNonNull(result, "result");
  }
}
