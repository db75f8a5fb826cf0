package dev.airlock.daemon.cache;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Results of past actions keyed by what they really observed: a weak fingerprint of the request,
 * then the recorded path sets' current states (BuildXL's two-phase lookup).
 */
public interface ActionCache extends AutoCloseable {
  /**
   * The result of an earlier run whose every observed path is in the same state now, trying the
   * most recently recorded path sets first.
   */
  Optional<CacheHit> lookup(WeakFingerprint weak, PathStateReader reader) throws IOException;

  /**
   * Records a successful run: the path set it observed, each path's state before the run, and the
   * result (whose blobs must already be in the content store).
   */
  void record(WeakFingerprint weak, PathSet pathSet, List<PathState> states, CachedResult result)
      throws IOException;

  /** Sizes and hit counters. */
  CacheStats stats() throws IOException;

  /**
   * Drops least recently used entries until the content store holds at most {@code maxBytes}, and
   * every blob no entry needs; never a blob a remaining entry needs.
   */
  GcReport gc(long maxBytes) throws IOException;

  /** For a miss: the nearest recorded path set and what changed; empty if none was recorded. */
  Optional<Explanation> explain(WeakFingerprint weak, PathStateReader reader) throws IOException;

  /** Every recorded entry that can be read, in key order (for {@code airlock cache verify}). */
  List<RecordedEntry> entries() throws IOException;

  /**
   * Whether a lookup of {@code weak} would find {@code entry} now: the request has the entry's weak
   * fingerprint and every path of its path set is in the state it was recorded in.
   */
  boolean current(RecordedEntry entry, WeakFingerprint weak, PathStateReader reader)
      throws IOException;

  /** Saves pending counters; the database and content store stay open (their owner closes them). */
  @Override
  void close();
}
