package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.ActionCaching;
import dev.airlock.daemon.cache.CacheStats;
import dev.airlock.daemon.cache.Explanation;
import dev.airlock.daemon.cache.GcReport;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import java.io.IOException;
import java.util.Optional;

/** Answers `airlock cache stats | gc | explain` from the daemon's action cache. */
final class CacheQueries {
  private final ActionCaching caching;

  CacheQueries(ActionCaching caching) {
    this.caching = caching;
  }

  /** Stats and gc; explain needs an action, see {@link #explain}. */
  CacheReply answer(CacheRequest request) throws IOException {
    return switch (request.getOpCase()) {
      case STATS -> stats();
      case GC -> {
        GcReport gc = caching.cache().gc(request.getGc().getMaxBytes());
        yield stats().toBuilder()
            .setEntriesRemoved(gc.entriesRemoved())
            .setBlobsRemoved(gc.blobsRemoved())
            .setBytesBefore(gc.bytesBefore())
            .setBytesAfter(gc.bytesAfter())
            .build();
      }
      default -> throw new IllegalArgumentException("a cache request needs stats, gc or explain");
    };
  }

  private CacheReply stats() throws IOException {
    CacheStats s = caching.cache().stats();
    return CacheReply.newBuilder()
        .setEntries(s.entries())
        .setPathSets(s.pathSets())
        .setCasBytes(s.casBytes())
        .setHits(s.hits())
        .setMisses(s.misses())
        .build();
  }

  /** Whether {@code action} would hit, and if not, the first input that differs. */
  CacheReply explain(Action action) throws IOException {
    WeakFingerprint weak = CacheKeys.weak(action, caching.statCache());
    Optional<Explanation> found = caching.cache().explain(weak, caching.reader());
    CacheReply.Builder reply = CacheReply.newBuilder();
    if (found.isEmpty()) {
      return reply
          .setExplanation(
              "no recorded run of this command with these arguments, environment, working"
                  + " directory, policy and declared inputs: it would run")
          .build();
    }
    Explanation e = found.get();
    if (e.firstDifference().isEmpty()) {
      return reply
          .setWouldHit(true)
          .setExplanation(
              "every one of the "
                  + e.nearest().size()
                  + " recorded paths is as it was: it would be replayed")
          .build();
    }
    Explanation.Difference d = e.firstDifference().get();
    return reply
        .setExplanation(
            "nearest of "
                + e.pathSetsCompared()
                + " recorded path set(s): "
                + e.pathsMatching()
                + " of "
                + e.nearest().size()
                + " paths match; first difference: "
                + d.path().path()
                + " ("
                + d.path().kind().name().toLowerCase()
                + ") was "
                + d.recorded()
                + ", is now "
                + d.now()
                + (e.differences().size() > 1
                    ? " (" + (e.differences().size() - 1) + " more differ)"
                    : ""))
        .build();
  }
}
