package dev.airlock.daemon.action;

import java.util.Optional;

/**
 * Decides, before anything is committed, whether the run may go in the cache: the request must let
 * it (and the cache must have keyed it), and the trace must say it is sound to.
 */
final class DecideCacheable implements FinishingStep {
  @Override
  public void apply(Finishing run) {
    CacheTrail cache = run.cache;
    if (run.action().request().fixedOutput()) {
      cache.uncacheable = Cacheability.fixedOutputReason(run);
    } else if (cache.weak().isEmpty()) {
      cache.uncacheable =
          Optional.of(cache.lookupReason().orElse("the request does not write to the cache"));
    } else if (!CacheKeys.writes(run.action().request().cacheMode())) {
      cache.uncacheable = Optional.of("the request does not write to the cache");
    } else {
      cache.uncacheable = Cacheability.reason(run);
    }
  }
}
