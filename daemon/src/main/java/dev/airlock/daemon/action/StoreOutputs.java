package dev.airlock.daemon.action;

import dev.airlock.protocol.CommitMode;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Stores a cacheable run's outputs and output streams in the content store, while they are still in
 * the upper dirs and its inputs as it saw them, for the cache entry recorded after the commit. Only
 * a run whose writes are about to be committed gets this far.
 */
final class StoreOutputs implements FinishingStep {
  private static final Logger log = Logger.getLogger(StoreOutputs.class.getName());

  @Override
  public void apply(Finishing run) {
    if (run.cache.uncacheable.isPresent()
        || !willCommit(run)
        || run.trace().isEmpty()
        // Its pinned outputs were stored as they were verified; nothing else of it is kept.
        || run.action().request().fixedOutput()) {
      return;
    }
    try {
      run.cache.prepared =
          java.util.Optional.of(
              new CacheEntryBuilder(run.cache.stores())
                  .build(
                      run.action(),
                      run.trace().get(),
                      run.changes,
                      run.run().output(),
                      0,
                      CompareRuns.forCache(run)));
    } catch (CacheEntryBuilder.NotCacheable e) {
      run.cache.notRecorded(e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot prepare its entry", e);
      run.cache.notRecorded("storing it failed: " + e.getMessage());
    }
  }

  /** Whether the commit step will try to commit (or, without a layer, has nothing to commit). */
  private static boolean willCommit(Finishing run) {
    if (!run.succeeded()) {
      return false;
    }
    if (run.layer().isEmpty()) {
      return !run.action().request().unsafeDirectWrites();
    }
    return !run.writes.decided() && run.action().request().commitMode() != CommitMode.DISCARD;
  }
}
