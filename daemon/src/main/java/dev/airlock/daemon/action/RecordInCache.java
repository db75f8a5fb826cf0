package dev.airlock.daemon.action;

import dev.airlock.protocol.CommitOutcome;
import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * After the commit: records the prepared entry if the changes landed, records a failure ({@code
 * --cache-failures}) with its status and output only, or says why nothing was recorded.
 */
final class RecordInCache implements FinishingStep {
  private static final Logger log = Logger.getLogger(RecordInCache.class.getName());

  @Override
  public void apply(Finishing run) {
    CacheTrail cache = run.cache;
    CommitOutcome committed = run.writes.outcome();
    if (cache.uncacheable.isPresent()) {
      cache.notRecorded(cache.uncacheable.get());
    } else if (run.action().request().fixedOutput()) {
      if (committed == CommitOutcome.COMMITTED || committed == CommitOutcome.NO_CHANGES) {
        cache.recordFixed(run.pinned);
      } else if (!cache.explained()) {
        cache.notRecorded("its changes were not committed");
      }
    } else if (!run.succeeded()) {
      recordFailure(run);
    } else if (cache.prepared.isPresent()
        && (committed == CommitOutcome.COMMITTED || committed == CommitOutcome.NO_CHANGES)) {
      cache.record(cache.prepared.get());
    } else if (cache.prepared.isEmpty() && !cache.explained()) {
      cache.notRecorded("its changes were not committed");
    }
  }

  /** --cache-failures: no outputs (they were discarded), the status and output replayed. */
  private static void recordFailure(Finishing run) {
    if (!run.run().status().exited() || run.trace().isEmpty()) {
      run.cache.notRecorded("it was killed by a signal");
      return;
    }
    try {
      run.cache.record(
          new CacheEntryBuilder(run.cache.stores())
              .build(
                  run.action(),
                  run.trace().get(),
                  List.of(),
                  run.run().output(),
                  run.run().status().exitCode(),
                  CompareRuns.forCache(run)));
    } catch (CacheEntryBuilder.NotCacheable e) {
      run.cache.notRecorded(e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot prepare its entry", e);
      run.cache.notRecorded("storing it failed: " + e.getMessage());
    }
  }
}
