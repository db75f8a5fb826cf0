package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CacheStats;
import dev.airlock.daemon.cache.CacheStores;
import dev.airlock.daemon.cache.Determinism;
import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.Explanation;
import dev.airlock.daemon.cache.GcReport;
import dev.airlock.daemon.cache.LmdbActionCache;
import dev.airlock.daemon.cache.ObservationKind;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.daemon.request.PinnedOutput;
import dev.airlock.protocol.CacheReply;
import dev.airlock.protocol.CacheRequest;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** Answers `airlock cache stats | gc | explain` from the daemon's action cache. */
final class CacheQueries {
  private final CacheStores caching;

  CacheQueries(CacheStores caching) {
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
            .setGcGraceMs(LmdbActionCache.ORPHAN_GRACE.toMillis())
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
    if (action.request().fixedOutput()) {
      return explainFixed(action.request().pinnedOutputs());
    }
    WeakFingerprint weak = CacheKeys.weak(action, caching.statCache());
    Optional<Explanation> found =
        caching.cache().explain(weak, caching.reader().in(CacheKeys.portable(action)));
    CacheReply.Builder reply = CacheReply.newBuilder();
    if (found.isEmpty()) {
      return reply
          .setExplanation(
              "no recorded run of this command with these arguments, environment, working"
                  + " directory, policy and declared inputs: it would run")
          .build();
    }
    Explanation e = found.get();
    if (e.match().isPresent()) {
      return reply
          .setWouldHit(true)
          .setExplanation(
              "every one of the "
                  + e.nearest().size()
                  + " paths of its recorded path set is as it was: it would be replayed from"
                  + " action "
                  + e.match().get().actionId()
                  + " (recorded "
                  + e.match().get().producedAt()
                  + ")"
                  + determinism(e.match().get().determinism(), CacheKeys.portable(action)))
          .build();
    }
    if (e.firstDifference().isEmpty()) {
      return reply
          .setExplanation(
              "every one of the "
                  + e.nearest().size()
                  + " recorded paths is as it was, but the entry is gone (gc, or a blob it needed"
                  + " was lost): it would run")
          .build();
    }
    return reply.setExplanation(miss(e, CacheKeys.portable(action))).build();
  }

  /**
   * A fixed-output action would be served when every pinned content is in the local content store
   * (the remote cache is not asked: explaining changes nothing).
   */
  private CacheReply explainFixed(List<PinnedOutput> pins) {
    for (PinnedOutput pin : pins) {
      if (!caching.cas().contains(Digest.parse(pin.sha256()))) {
        return CacheReply.newBuilder()
            .setExplanation(
                "fixed-output: "
                    + pin.digestName()
                    + " (pinned at "
                    + PathBytes.display(PathBytes.of(pin.path()))
                    + ") is not in the local content store: it would be asked of the remote cache,"
                    + " if any, and run when that has none")
            .build();
      }
    }
    return CacheReply.newBuilder()
        .setWouldHit(true)
        .setExplanation(
            "fixed-output: every pinned content is in the content store: it would be served from"
                + " there without running, whatever else it reads")
        .build();
  }

  /** What the entry says of its action's determinism, after a hit's explanation. */
  static String determinism(Determinism d, PortablePaths portable) {
    return switch (d.verdict()) {
      case UNCHECKED -> "";
      case DETERMINISTIC -> "; a determinism check found it deterministic";
      case NONDETERMINISTIC ->
          "; a determinism check found it not deterministic: "
              + PathBytes.display(
                  String.join(", ", d.differing().stream().map(portable::absolute).toList()))
              + " differed between two runs";
    };
  }

  /**
   * "nearest of 2 recorded path sets: ...; first difference: /w/a.h (read) was ..., is now ...".
   */
  static String miss(Explanation e, PortablePaths portable) {
    Explanation.Difference d = e.firstDifference().orElseThrow();
    int more = e.differences().size() - 1;
    return "nearest of "
        + e.pathSetsCompared()
        + (e.pathSetsCompared() == 1 ? " recorded path set: " : " recorded path sets: ")
        + e.pathsMatching()
        + " of "
        + e.nearest().size()
        + " paths match; first difference: "
        + PathBytes.display(portable.absolute(d.path().path()))
        + " ("
        + observed(d.path().kind())
        + ") was "
        + d.recorded().describe()
        + ", is now "
        + d.now().describe()
        + (more > 0 ? " (" + more + (more == 1 ? " more differs)" : " more differ)") : "");
  }

  /** What the recorded run did with the path, and so what of it the cache compares. */
  private static String observed(ObservationKind kind) {
    return switch (kind) {
      case CONTENT -> "its content was read";
      case EXISTENCE -> "it was checked for existence and type";
      case LISTING -> "it was listed";
    };
  }
}
