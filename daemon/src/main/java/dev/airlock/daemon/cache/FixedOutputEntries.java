package dev.airlock.daemon.cache;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cache entries of fixed-output actions: one per pinned digest, keyed by the digest alone (not by
 * the command, its inputs or where the output goes), with an empty path set, so that the ordinary
 * cache machinery keeps them: a lookup finds one only while its blob is in the content store, gc
 * keeps its blob while the entry lives, and the remote tier shares it (whose entry gives the blob's
 * size, which a bare digest does not).
 */
public final class FixedOutputEntries {
  /** No path is read: the pinned content is the whole key. */
  public static final PathSet NO_PATHS = PathSet.of(List.of());

  /** The name of the one output of an entry, a prefix no real path has. */
  private static final String OUTPUT_PREFIX = "fixed-output:";

  private FixedOutputEntries() {}

  /** The key of the entry that keeps {@code content}. */
  public static WeakFingerprint key(Digest content) {
    return new WeakFingerprint(
        new HashWriter("airlock.fixed-output")
            .int32(WeakFingerprint.CACHE_VERSION)
            .digest(content)
            .finish());
  }

  /**
   * The entry keeping {@code content}, last written with permission bits {@code mode} by action
   * {@code actionId}; {@code empty} is the empty blob (its output streams, which are not replayed).
   */
  public static CachedResult entry(
      Digest content, int mode, Digest empty, String actionId, Instant producedAt) {
    return CachedResult.of(
        0,
        empty,
        empty,
        Map.of(OUTPUT_PREFIX + content.hex(), new Output.RegularFile(content, mode & 07777)),
        actionId,
        producedAt);
  }

  /** The file an entry keeps, when it is a fixed-output entry for {@code content}. */
  public static Optional<Output.RegularFile> kept(CachedResult entry, Digest content) {
    return entry.outputs().get(OUTPUT_PREFIX + content.hex()) instanceof Output.RegularFile f
            && f.digest().equals(content)
        ? Optional.of(f)
        : Optional.empty();
  }

  /** Whether {@code entry} is a fixed-output entry (it keeps a blob, it records no run). */
  public static boolean isFixedOutput(CachedResult entry) {
    return entry.outputs().size() == 1
        && entry.outputs().firstKey().startsWith(OUTPUT_PREFIX)
        && entry.request().isEmpty();
  }
}
